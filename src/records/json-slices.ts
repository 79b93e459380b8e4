/**
 * Where the elements of a document's top-level array are, found without parsing. A page's RECORD lines
 * copy the bytes of records that need no reshaping instead of serialising the parsed objects again:
 * serialising and encoding were the largest cost of a page after parsing.
 *
 * The document is the page's bytes read as Latin-1, one character per byte, so that offsets in it are
 * offsets in the bytes; and a string rather than the bytes, because String indexOf jumps from quote to
 * quote far faster than a loop over bytes (docs/benchmarks.md has the figures). The caller has
 * parsed the same text with JSON.parse, so it is valid JSON: this only finds boundaries, it never
 * validates. It walks the top-level object, skipping strings (with their escapes) and counting brackets.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

export interface Slices {
  /** Where each element starts, and where it ends (exclusive), in document order. */
  starts: number[];
  ends: number[];
}

/**
 * The slices of the array under `key` in the top-level object of `json` (a document's bytes read as
 * Latin-1); with the key repeated, of its last occurrence (the one JSON.parse keeps). Undefined when there is no such array, or `key` is written
 * with escapes: the caller then serialises what it parsed.
 */
export function arraySlices(json: string, key: string): Slices | undefined {
  const quotedKey = Buffer.from(JSON.stringify(key), 'utf8').toString('latin1');
  const n = json.length;
  let found: Slices | undefined;
  let i = skipSpace(json, 0);
  if (json.charCodeAt(i) !== OPEN_BRACE) return undefined;
  i = skipSpace(json, i + 1);
  while (i < n && json.charCodeAt(i) === QUOTE) {
    const keyEnd = skipString(json, i);
    // A key written with escapes may be the same key (JSON.parse keeps the last): no telling which array.
    if (json.slice(i, keyEnd).includes('\\')) return undefined;
    const isKey = keyEnd - i === quotedKey.length && json.startsWith(quotedKey, i);
    i = skipSpace(json, skipSpace(json, keyEnd) + 1); // past the colon
    if (isKey && json.charCodeAt(i) === OPEN_BRACKET) {
      const slices: Slices = { starts: [], ends: [] };
      i = elements(json, i, slices);
      found = slices;
    } else {
      if (isKey) found = undefined;
      i = skipValue(json, i);
    }
    i = skipSpace(json, i);
    if (json.charCodeAt(i) !== COMMA) break;
    i = skipSpace(json, i + 1);
  }
  return found;
}

/** Records the elements of the array opening at `i`; returns the index past its closing bracket. */
function elements(json: string, i: number, into: Slices): number {
  i = skipSpace(json, i + 1);
  if (json.charCodeAt(i) === CLOSE_BRACKET) return i + 1;
  for (;;) {
    const end = skipValue(json, i);
    into.starts.push(i);
    into.ends.push(end);
    i = skipSpace(json, end);
    if (json.charCodeAt(i) !== COMMA) return i + 1;
    i = skipSpace(json, i + 1);
  }
}

/** The index past the value starting at `i`. */
function skipValue(json: string, i: number): number {
  const n = json.length;
  const first = json.charCodeAt(i);
  if (first === QUOTE) return skipString(json, i);
  if (first === OPEN_BRACE || first === OPEN_BRACKET) {
    let depth = 0;
    while (i < n) {
      const c = json.charCodeAt(i);
      if (c === QUOTE) {
        i = skipString(json, i);
        continue;
      }
      if (c === OPEN_BRACE || c === OPEN_BRACKET) depth++;
      else if ((c === CLOSE_BRACE || c === CLOSE_BRACKET) && --depth === 0) return i + 1;
      i++;
    }
    return n;
  }
  // A number, true, false or null: up to the next delimiter or space.
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c === COMMA || c === CLOSE_BRACE || c === CLOSE_BRACKET || c <= 0x20) break;
    i++;
  }
  return i;
}

/** The index past the string whose opening quote is at `i`. */
function skipString(json: string, i: number): number {
  for (;;) {
    const quote = json.indexOf('"', i + 1);
    if (quote < 0) return json.length;
    let backslashes = 0;
    while (json.charCodeAt(quote - 1 - backslashes) === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return quote + 1; // not escaped
    i = quote;
  }
}

/** JSON's whitespace: space, tab, line feed, carriage return. */
function skipSpace(json: string, i: number): number {
  const n = json.length;
  while (i < n) {
    const c = json.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}
