/**
 * Reading a record's own JSON text without parsing it, where the parsed object cannot serve: the digits of a
 * 64-bit id (big-ids.ts), a value nested too deep to walk (page-processor.ts). Every loop here is iterative,
 * whatever the nesting. The text is valid JSON (JSON.parse read it): this only finds boundaries.
 */

/**
 * Where the value of the top-level object's member `name` starts in `text`, or of the object under `wrapper`
 * when the element is wrapped ({"appointment": {...}}); undefined where there is none.
 */
export function memberValueAt(text: string, name: string, wrapper: string | undefined): number | undefined {
  const start = skipSpace(text, 0);
  if (text[start] !== '{') return undefined;
  const own = memberAt(text, start, name);
  if (own !== undefined) return own;
  const inner = wrapper === undefined ? undefined : memberAt(text, start, wrapper);
  return inner === undefined || text[inner] !== '{' ? undefined : memberAt(text, inner, name);
}

/** The JSON text of member `name` (see memberValueAt), as the API sent it. */
export function memberText(text: string, name: string, wrapper: string | undefined): string | undefined {
  const at = memberValueAt(text, name, wrapper);
  return at === undefined ? undefined : text.slice(at, skipValue(text, at));
}

/** Where the value of member `name` of the object at `open` starts (its last occurrence, as JSON.parse keeps). */
function memberAt(text: string, open: number, name: string): number | undefined {
  let found: number | undefined;
  let i = skipSpace(text, open + 1);
  while (i < text.length && text[i] === '"') {
    const keyEnd = skipString(text, i);
    const key = JSON.parse(text.slice(i, keyEnd)) as string;
    i = skipSpace(text, keyEnd);
    if (text[i] !== ':') return found;
    const value = skipSpace(text, i + 1);
    if (key === name) found = value;
    i = skipSpace(text, skipValue(text, value));
    if (text[i] !== ',') return found;
    i = skipSpace(text, i + 1);
  }
  return found;
}

/** The end (exclusive) of the JSON value at `i`. */
export function skipValue(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return skipString(text, i);
  if (c !== '{' && c !== '[') {
    while (i < text.length && !',}] \t\r\n'.includes(text[i]!)) i++;
    return i;
  }
  let depth = 0;
  for (; i < text.length; i++) {
    const d = text[i];
    if (d === '"') i = skipString(text, i) - 1;
    else if (d === '{' || d === '[') depth++;
    else if ((d === '}' || d === ']') && --depth === 0) return i + 1;
  }
  return i;
}

/** The end (exclusive) of the string whose opening quote is at `i`. */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i + 1;
  }
  return i;
}

export function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}
