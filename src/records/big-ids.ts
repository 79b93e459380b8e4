/**
 * Ids past 2^53 (a 64-bit id), which JSON.parse rounds: 9007199254740993 reads as 9007199254740992. Node 20's
 * JSON.parse gives no source text, so a key that parsed as such a number is read again from the record's own
 * text, its digits kept as a string: the key that dedups a page's records, the id of a child's path, the
 * value of a child's parent field. A record written as its own bytes keeps its digits; one serialised gets
 * them back through a marker (`marked`, `unmark`). Other big numbers of a record are not read again.
 */

/** An integer that JSON.parse may have rounded. */
export function isUnsafeInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && !Number.isSafeInteger(value);
}

const DIGITS = /^-?\d+$/;

/** A marker that stands for an integer's exact digits in a record until it is serialised (never in API text: \u0000). */
const MARK = '\u0000';
/** The marker as JSON.stringify writes it, quote included. */
const MARK_JSON = JSON.stringify(MARK).slice(0, -1);

/** The value that makes `digits` come out of JSON.stringify as a string to unmark. */
export function marked(digits: string): string {
  return MARK + digits;
}

/** Serialised JSON with each marked integer written as its digits. */
export function unmark(json: string): string {
  if (!json.includes(MARK_JSON)) return json;
  return json.replace(new RegExp(`${MARK_JSON.replace(/\\/g, '\\\\')}(-?\\d+)"`, 'g'), '$1');
}

/**
 * The exact digits of an integer member of an element's JSON text: of the top-level object's member `name`,
 * of the object under `wrapper` when the element is wrapped, or of the first item when the element is an
 * array (a named list's [id, name] pair). Undefined where it cannot be found, or is not an integer literal.
 */
export function exactDigits(text: string, name: string, wrapper: string | undefined): string | undefined {
  const start = skipSpace(text, 0);
  if (text[start] === '[') return integerAt(text, skipSpace(text, start + 1));
  if (text[start] !== '{') return undefined;
  const own = memberAt(text, start, name);
  if (own !== undefined) return integerAt(text, own);
  const inner = wrapper === undefined ? undefined : memberAt(text, start, wrapper);
  if (inner === undefined || text[inner] !== '{') return undefined;
  const wrapped = memberAt(text, inner, name);
  return wrapped === undefined ? undefined : integerAt(text, wrapped);
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

function integerAt(text: string, at: number): string | undefined {
  let end = at;
  while (end < text.length && /[-+.\deE]/.test(text[end]!)) end++;
  const literal = text.slice(at, end);
  return DIGITS.test(literal) ? literal : undefined;
}

/** The end (exclusive) of the JSON value at `i`. */
function skipValue(text: string, i: number): number {
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

function skipSpace(text: string, i: number): number {
  while (i < text.length && ' \t\r\n'.includes(text[i]!)) i++;
  return i;
}
