/**
 * Ids past 2^53 (a 64-bit id), which JSON.parse rounds: 9007199254740993 reads as 9007199254740992. Node 20's
 * JSON.parse gives no source text, so a key that parsed as such a number is read again from the record's own
 * text, its digits kept as a string: the key that dedups a page's records, the id of a child's path, the
 * value of a child's parent field. A record written as its own bytes keeps its digits; one serialised gets
 * them back through a marker (`marked`, `unmark`). Other big numbers of a record are not read again.
 */

import { memberValueAt, skipSpace } from './json-text.js';

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
  const at = memberValueAt(text, name, wrapper);
  return at === undefined ? undefined : integerAt(text, at);
}

function integerAt(text: string, at: number): string | undefined {
  let end = at;
  while (end < text.length && /[-+.\deE]/.test(text[end]!)) end++;
  const literal = text.slice(at, end);
  return DIGITS.test(literal) ? literal : undefined;
}
