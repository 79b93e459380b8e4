/**
 * The methods of Python's str that map expressions may call, with Python's semantics rather than
 * JavaScript's: positions and lengths in code points, Python's whitespace, Unicode title case, empty
 * separators ('ab'.replace('', '-') is '-a-b-'), start and end arguments, keyword arguments where Python
 * takes them. Each result is bounded (limits.ts): no string or list over 100,000 unless it is no longer
 * than the string it was made from, and every character scanned or made is counted in the record's budget.
 */
import { type Budget, charSteps, MAX_LENGTH, PyError, tooLong } from './limits.js';
import { NON_ASCII, PY_SPACE } from './numbers.js';
import { isDict, typeName, type PyValue } from './values.js';

type Args = (PyValue | undefined)[];
export interface StringMethod {
  /** The parameters, in order; `keywords`: those Python also takes by name. */
  params: readonly string[];
  required: number;
  keywords?: readonly string[];
  call: (s: string, args: Args, budget: Budget) => PyValue;
}

const SURROGATE = /[\ud800-\udfff]/;

/** The code points of a string, when they are not its UTF-16 units (undefined: index the string itself). */
function codePoints(s: string): string[] | undefined {
  return SURROGATE.test(s) ? Array.from(s) : undefined;
}

function cpLength(s: string): number {
  const cps = codePoints(s);
  return cps ? cps.length : s.length;
}

/** s[from:to] in code points. */
function cpSlice(s: string, from: number, to: number): string {
  const cps = codePoints(s);
  return cps ? cps.slice(from, to).join('') : s.slice(from, to);
}

function strArg(value: PyValue | undefined, what = 'argument'): string {
  if (typeof value !== 'string') throw new PyError('TypeError', `${what} must be str, not ${typeName(value ?? null)}`);
  return value;
}

function optionalStr(value: PyValue | undefined): string | undefined {
  return value === undefined || value === null ? undefined : strArg(value);
}

export function intArg(value: PyValue | undefined, fallback?: number): number {
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value !== 'bigint') throw new PyError('TypeError', `'${typeName(value ?? null)}' object cannot be interpreted as an integer`);
  return Number(value);
}

/** Python's slice bounds for start and end arguments (None: the ends). */
function bounds(length: number, start: PyValue | undefined, end: PyValue | undefined): [number, number] {
  const at = (v: PyValue | undefined, fallback: number) => {
    if (v === undefined || v === null) return fallback;
    const n = intArg(v);
    return n < 0 ? Math.max(0, length + n) : n;
  };
  return [at(start, 0), Math.min(at(end, length), length)];
}

/** A string made from `s` that may not pass MAX_LENGTH unless it is no longer than `s`. */
function made(budget: Budget, s: string, length: number): void {
  if (length > MAX_LENGTH && length > s.length) throw tooLong();
  budget.spend(length, 2);
}

/** Title case of one code point (Python's _PyUnicode_ToTitleFull, where it is not upper case). */
const TITLE: Readonly<Record<string, string>> = Object.freeze(
  Object.assign(Object.create(null) as Record<string, string>, {
    '\u0149': '\u02bcN',
    '\u01c4': '\u01c5',
    '\u01c5': '\u01c5',
    '\u01c6': '\u01c5',
    '\u01c7': '\u01c8',
    '\u01c8': '\u01c8',
    '\u01c9': '\u01c8',
    '\u01ca': '\u01cb',
    '\u01cb': '\u01cb',
    '\u01cc': '\u01cb',
    '\u01f1': '\u01f2',
    '\u01f2': '\u01f2',
    '\u01f3': '\u01f2',
    '\u1fb2': '\u1fba\u0345',
    '\u1fb3': '\u1fbc',
    '\u1fb4': '\u0386\u0345',
    '\u1fb7': '\u0391\u0342\u0345',
    '\u1fbc': '\u1fbc',
    '\u1fc2': '\u1fca\u0345',
    '\u1fc3': '\u1fcc',
    '\u1fc4': '\u0389\u0345',
    '\u1fc7': '\u0397\u0342\u0345',
    '\u1fcc': '\u1fcc',
    '\u1ff2': '\u1ffa\u0345',
    '\u1ff3': '\u1ffc',
    '\u1ff4': '\u038f\u0345',
    '\u1ff7': '\u03a9\u0342\u0345',
    '\u1ffc': '\u1ffc',
  }),
);

function titleChar(ch: string): string {
  const special = TITLE[ch];
  if (special !== undefined) return special;
  const cp = ch.codePointAt(0)!;
  // Greek with ypogegrammeni: the title-case letter with prosgegrammeni (U+1F80..U+1FAF).
  if (cp >= 0x1f80 && cp <= 0x1faf) return String.fromCodePoint(cp | 0x08);
  if ((cp >= 0x10d0 && cp <= 0x10fa) || (cp >= 0x10fd && cp <= 0x10ff)) return ch; // Georgian Mkhedruli has no title case
  const upper = ch.toUpperCase();
  if (upper.length <= 2 && cpLength(upper) === 1) return upper;
  const [first = '', ...rest] = Array.from(upper);
  return first + rest.join('').toLowerCase();
}

const CASED = /\p{Cased}/u;
const CASE_IGNORABLE = /\p{Case_Ignorable}/u;
const UPPER = /\p{Uppercase}/u;
const LOWER = /\p{Lowercase}/u;
const TITLECASE = /\p{Lt}/u;

/** Lower case of the code point at `i`, with Python's final sigma (a Σ ending a word is ς). */
function lowerAt(cps: readonly string[], i: number): string {
  const ch = cps[i]!;
  if (ch !== '\u03a3') return ch.toLowerCase();
  const casedAround = (from: number, step: number) => {
    for (let j = from; j >= 0 && j < cps.length; j += step) {
      if (!CASE_IGNORABLE.test(cps[j]!)) return CASED.test(cps[j]!);
    }
    return false;
  };
  return casedAround(i - 1, -1) && !casedAround(i + 1, 1) ? '\u03c2' : '\u03c3';
}

/** title() of ASCII text: letters are its cased characters; each that follows another is lower case. */
function asciiTitle(s: string): string {
  const lower = s.toLowerCase();
  const pieces: string[] = [];
  let from = 0;
  for (let i = 0; i < lower.length; i++) {
    const c = lower.charCodeAt(i);
    if (c < 0x61 || c > 0x7a) continue;
    const previous = i > 0 ? lower.charCodeAt(i - 1) : 0;
    if ((previous >= 0x61 && previous <= 0x7a) || (previous >= 0x41 && previous <= 0x5a)) continue;
    pieces.push(lower.slice(from, i), String.fromCharCode(c - 0x20));
    from = i + 1;
  }
  pieces.push(lower.slice(from));
  return pieces.join('');
}

function title(s: string): string {
  if (ASCII.test(s)) return asciiTitle(s);
  const cps = Array.from(s);
  let out = '';
  let previousCased = false;
  for (let i = 0; i < cps.length; i++) {
    const ch = cps[i]!;
    out += previousCased ? lowerAt(cps, i) : titleChar(ch);
    previousCased = CASED.test(ch);
  }
  return out;
}

function capitalize(s: string): string {
  if (ASCII.test(s)) return s.charAt(0).toUpperCase() + s.slice(1).toLowerCase();
  const cps = Array.from(s);
  let out = cps.length > 0 ? titleChar(cps[0]!) : '';
  for (let i = 1; i < cps.length; i++) out += lowerAt(cps, i);
  return out;
}

function swapcase(s: string): string {
  if (ASCII.test(s)) return s.replace(/[A-Za-z]/g, (c) => (c <= 'Z' ? c.toLowerCase() : c.toUpperCase()));
  const cps = Array.from(s);
  let out = '';
  for (let i = 0; i < cps.length; i++) {
    const ch = cps[i]!;
    out += UPPER.test(ch) ? lowerAt(cps, i) : LOWER.test(ch) ? ch.toUpperCase() : ch;
  }
  return out;
}

const ASCII = { test: (s: string) => !NON_ASCII.test(s) };

interface CaseTests {
  upper: (ch: string) => boolean;
  lower: (ch: string) => boolean;
  title: (ch: string) => boolean;
}

const ASCII_CASES: CaseTests = { upper: (ch) => ch >= 'A' && ch <= 'Z', lower: (ch) => ch >= 'a' && ch <= 'z', title: () => false };
const UNICODE_CASES: CaseTests = { upper: (ch) => UPPER.test(ch), lower: (ch) => LOWER.test(ch), title: (ch) => TITLECASE.test(ch) };

function casesOf(s: string): CaseTests {
  return ASCII.test(s) ? ASCII_CASES : UNICODE_CASES;
}

function istitle(s: string): boolean {
  const is = casesOf(s);
  let cased = false;
  let previousCased = false;
  for (const ch of s) {
    if (is.upper(ch) || is.title(ch)) {
      if (previousCased) return false;
      previousCased = cased = true;
    } else if (is.lower(ch)) {
      if (!previousCased) return false;
      previousCased = cased = true;
    } else previousCased = false;
  }
  return cased;
}

/** islower (upper: isupper): no character of the other case or title case, and at least one of this case. */
function isCase(s: string, upper: boolean): boolean {
  const is = casesOf(s);
  let cased = false;
  for (const ch of s) {
    if ((upper ? is.lower : is.upper)(ch) || is.title(ch)) return false;
    if ((upper ? is.upper : is.lower)(ch)) cased = true;
  }
  return cased;
}

// str.isdigit() is true for decimal digits and these digits that are not decimal (Python 3.11, Unicode 14).
const DIGIT =
  /^[\p{Nd}\u{b2}-\u{b3}\u{b9}\u{1369}-\u{1371}\u{19da}\u{2070}\u{2074}-\u{2079}\u{2080}-\u{2089}\u{2460}-\u{2468}\u{2474}-\u{247c}\u{2488}-\u{2490}\u{24ea}\u{24f5}-\u{24fd}\u{24ff}\u{2776}-\u{277e}\u{2780}-\u{2788}\u{278a}-\u{2792}\u{10a40}-\u{10a43}\u{10e60}-\u{10e68}\u{11052}-\u{1105a}\u{1f100}-\u{1f10a}]+$/u;

function isSpace(s: string): boolean {
  if (s.length === 0) return false;
  for (const ch of s) if (!PY_SPACE.includes(ch)) return false;
  return true;
}

/** The code points of `chars` (strip's argument), or Python's whitespace. */
function stripSet(chars: string | undefined): Set<string> {
  return new Set(Array.from(chars ?? PY_SPACE));
}

function strip(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = stripSet(chars);
  const cps = Array.from(s);
  let [start, end] = [0, cps.length];
  while (left && start < end && set.has(cps[start]!)) start++;
  while (right && end > start && set.has(cps[end - 1]!)) end--;
  return start === 0 && end === cps.length ? s : cps.slice(start, end).join('');
}

const SPACE_CODES = new Set(Array.from(PY_SPACE, (ch) => ch.charCodeAt(0)));
const SPACE_RUN = new RegExp(`[${PY_SPACE.replace(/[\\\]^-]/g, '\\$&')}]+`);

function spaceAt(s: string, i: number): boolean {
  return SPACE_CODES.has(s.charCodeAt(i));
}

/** split() and rsplit() on Python's whitespace, at most `max` times (-1: no limit); what is left keeps its far spaces. */
function splitOnSpace(s: string, max: number, fromRight: boolean): string[] {
  if (max < 0) {
    const parts = s.split(SPACE_RUN);
    if (parts[0] === '') parts.shift();
    if (parts.at(-1) === '') parts.pop();
    return parts;
  }
  const out: string[] = [];
  if (!fromRight) {
    let i = 0;
    for (; out.length < max;) {
      while (i < s.length && spaceAt(s, i)) i++;
      if (i === s.length) return out;
      const from = i;
      while (i < s.length && !spaceAt(s, i)) i++;
      out.push(s.slice(from, i));
    }
    while (i < s.length && spaceAt(s, i)) i++;
    if (i < s.length) out.push(s.slice(i));
    return out;
  }
  let i = s.length;
  for (; out.length < max;) {
    while (i > 0 && spaceAt(s, i - 1)) i--;
    if (i === 0) return out.reverse();
    const to = i;
    while (i > 0 && !spaceAt(s, i - 1)) i--;
    out.push(s.slice(i, to));
  }
  while (i > 0 && spaceAt(s, i - 1)) i--;
  if (i > 0) out.push(s.slice(0, i));
  return out.reverse();
}

function split(s: string, sep: string | undefined, max: number, fromRight: boolean): string[] {
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  if (sep === undefined) return splitOnSpace(s, max, fromRight);
  const parts = s.split(sep);
  if (max < 0 || parts.length <= max + 1) return parts;
  if (!fromRight) return [...parts.slice(0, max), parts.slice(max).join(sep)];
  return [parts.slice(0, parts.length - max).join(sep), ...parts.slice(parts.length - max)];
}

// eslint-disable-next-line no-control-regex -- Python's line boundaries include these separators
const LINE_BREAK = /\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]/g;

function splitlines(s: string, keepends: boolean): string[] {
  const lines: string[] = [];
  let start = 0;
  for (const match of s.matchAll(LINE_BREAK)) {
    const end = match.index + match[0].length;
    lines.push(s.slice(start, keepends ? end : match.index));
    start = end;
  }
  if (start < s.length) lines.push(s.slice(start));
  return lines;
}

/** find / rfind in code points, within Python's start and end; -1 when absent. */
function find(s: string, sub: string, args: Args, fromRight: boolean): number {
  const cps = codePoints(s);
  const length = cps ? cps.length : s.length;
  const [start, end] = bounds(length, args[1], args[2]);
  if (end - start < cpLength(sub)) return -1;
  if (sub === '') return fromRight ? end : start;
  const window = cps ? cps.slice(start, end).join('') : s.slice(start, end);
  const at = fromRight ? window.lastIndexOf(sub) : window.indexOf(sub);
  if (at < 0) return -1;
  return start + (cps ? cpLength(window.slice(0, at)) : at);
}

function count(s: string, sub: string, args: Args): number {
  const length = cpLength(s);
  const [start, end] = bounds(length, args[1], args[2]);
  if (end - start < cpLength(sub)) return 0;
  if (sub === '') return end - start + 1;
  const window = start === 0 && end === length ? s : cpSlice(s, start, end);
  let n = 0;
  for (let at = window.indexOf(sub); at >= 0; at = window.indexOf(sub, at + sub.length)) n++;
  return n;
}

function affix(s: string, args: Args, atEnd: boolean): boolean {
  const what = args[0];
  const options = Array.isArray(what) ? what : [what];
  const length = cpLength(s);
  const [start, end] = bounds(length, args[1], args[2]);
  const window = start < end ? cpSlice(s, start, end) : '';
  return options.some((option) => {
    const text = strArg(option, `${atEnd ? 'endswith' : 'startswith'} first arg`);
    return end - start >= cpLength(text) && (atEnd ? window.endsWith(text) : window.startsWith(text));
  });
}

function replace(s: string, args: Args, budget: Budget): string {
  const [old, replacement] = [strArg(args[0]), strArg(args[1])];
  const max = intArg(args[2], -1);
  const pieces = old === '' ? ['', ...Array.from(s), ''] : s.split(old);
  const n = max < 0 ? pieces.length - 1 : Math.min(max, pieces.length - 1);
  budget.step(pieces.length >>> 3);
  made(budget, s, s.length + n * (replacement.length - old.length));
  if (n === pieces.length - 1) return pieces.join(replacement);
  if (old === '') return interleave(s, replacement, n);
  return pieces.slice(0, n + 1).join(replacement) + old + pieces.slice(n + 1).join(old);
}

/** `n` copies of `insert`, one before each of the first `n` code points of `s` (replace('', x, n)). */
function interleave(s: string, insert: string, n: number): string {
  const cps = Array.from(s);
  return (
    cps
      .slice(0, n)
      .map((ch) => insert + ch)
      .join('') + cps.slice(n).join('')
  );
}

function join(s: string, items: PyValue | undefined, budget: Budget): string {
  let list: PyValue[];
  if (Array.isArray(items)) list = items;
  else if (typeof items === 'string') list = Array.from(items);
  else if (items !== undefined && items !== null && isDict(items)) list = Object.keys(items);
  else throw new PyError('TypeError', 'can only join an iterable');
  let length = s.length * Math.max(0, list.length - 1);
  list.forEach((item, i) => {
    if (typeof item !== 'string') throw new PyError('TypeError', `sequence item ${i}: expected str instance, ${typeName(item)} found`);
    length += item.length;
  });
  if (length > MAX_LENGTH) throw tooLong();
  budget.spend(length, 2);
  return (list as string[]).join(s);
}

function fillChar(value: PyValue | undefined, name: string): string {
  if (value === undefined) return ' ';
  if (typeof value !== 'string') throw new PyError('TypeError', `${name}() argument 2 must be str, not ${typeName(value)}`);
  if (cpLength(value) !== 1) throw new PyError('TypeError', 'The fill character must be exactly one character long');
  return value;
}

/** ljust, rjust, center, zfill: `s` padded to `width` code points. */
function pad(s: string, args: Args, budget: Budget, how: 'ljust' | 'rjust' | 'center' | 'zfill'): string {
  const width = intArg(args[0]);
  const fill = how === 'zfill' ? '0' : fillChar(args[1], how);
  const length = cpLength(s);
  if (width <= length) return s;
  if (width > MAX_LENGTH) throw tooLong();
  const margin = width - length;
  budget.spend(width * fill.length, 2);
  if (how === 'ljust') return s + fill.repeat(margin);
  if (how === 'rjust') return fill.repeat(margin) + s;
  if (how === 'center') {
    const left = Math.floor(margin / 2) + (margin & width & 1);
    return fill.repeat(left) + s + fill.repeat(margin - left);
  }
  const sign = s.startsWith('+') || s.startsWith('-') ? s[0]! : '';
  return sign + '0'.repeat(margin) + s.slice(sign.length);
}

function partition(s: string, sep: string, fromRight: boolean): string[] {
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const at = fromRight ? s.lastIndexOf(sep) : s.indexOf(sep);
  if (at < 0) return fromRight ? ['', '', s] : [s, '', ''];
  return [s.slice(0, at), sep, s.slice(at + sep.length)];
}

function scanned<T>(fn: (s: string, args: Args, budget: Budget) => T) {
  return (s: string, args: Args, budget: Budget): T => {
    budget.step(charSteps(s.length));
    return fn(s, args, budget);
  };
}

/** A method that looks at each character (title, istitle...): a step a character. */
function perChar<T extends PyValue>(fn: (s: string) => T) {
  return (s: string, _: Args, budget: Budget): T => {
    budget.step(s.length);
    const out = fn(s);
    if (typeof out === 'string') made(budget, s, out.length);
    return out;
  };
}

/** A method that makes a string of about its input's length (lower, strip...). */
function remade(fn: (s: string, args: Args) => string) {
  return (s: string, args: Args, budget: Budget): string => {
    const out = fn(s, args);
    made(budget, s, out.length);
    return out;
  };
}

function def(params: string[], required: number, call: StringMethod['call'], keywords?: string[]): StringMethod {
  return { params, required, call, keywords };
}

const RANGE = ['sub', 'start', 'end'];

export const STRING_METHODS: ReadonlyMap<string, StringMethod> = new Map([
  [
    'lower',
    def(
      [],
      0,
      remade((s) => s.toLowerCase()),
    ),
  ],
  [
    'upper',
    def(
      [],
      0,
      remade((s) => s.toUpperCase()),
    ),
  ],
  ['title', def([], 0, perChar(title))],
  ['capitalize', def([], 0, perChar(capitalize))],
  ['swapcase', def([], 0, perChar(swapcase))],
  ['strip', def(['chars'], 0, scanned(remade((s, a) => strip(s, optionalStr(a[0]), true, true))))],
  ['lstrip', def(['chars'], 0, scanned(remade((s, a) => strip(s, optionalStr(a[0]), true, false))))],
  ['rstrip', def(['chars'], 0, scanned(remade((s, a) => strip(s, optionalStr(a[0]), false, true))))],
  [
    'split',
    def(
      ['sep', 'maxsplit'],
      0,
      listOf((s, a) => split(s, optionalStr(a[0]), intArg(a[1], -1), false)),
      ['sep', 'maxsplit'],
    ),
  ],
  [
    'rsplit',
    def(
      ['sep', 'maxsplit'],
      0,
      listOf((s, a) => split(s, optionalStr(a[0]), intArg(a[1], -1), true)),
      ['sep', 'maxsplit'],
    ),
  ],
  [
    'splitlines',
    def(
      ['keepends'],
      0,
      listOf((s, a) => splitlines(s, a[0] !== undefined && intArg(a[0]) !== 0)),
      ['keepends'],
    ),
  ],
  [
    'partition',
    def(
      ['sep'],
      1,
      listOf((s, a) => partition(s, strArg(a[0]), false)),
    ),
  ],
  [
    'rpartition',
    def(
      ['sep'],
      1,
      listOf((s, a) => partition(s, strArg(a[0]), true)),
    ),
  ],
  ['replace', def(['old', 'new', 'count'], 2, scanned(replace))],
  [
    'startswith',
    def(
      ['prefix', 'start', 'end'],
      1,
      scanned((s, a) => affix(s, a, false)),
    ),
  ],
  [
    'endswith',
    def(
      ['suffix', 'start', 'end'],
      1,
      scanned((s, a) => affix(s, a, true)),
    ),
  ],
  [
    'find',
    def(
      RANGE,
      1,
      scanned((s, a) => BigInt(find(s, strArg(a[0]), a, false))),
    ),
  ],
  [
    'rfind',
    def(
      RANGE,
      1,
      scanned((s, a) => BigInt(find(s, strArg(a[0]), a, true))),
    ),
  ],
  [
    'index',
    def(
      RANGE,
      1,
      scanned((s, a) => found(find(s, strArg(a[0]), a, false))),
    ),
  ],
  [
    'rindex',
    def(
      RANGE,
      1,
      scanned((s, a) => found(find(s, strArg(a[0]), a, true))),
    ),
  ],
  [
    'count',
    def(
      RANGE,
      1,
      scanned((s, a) => BigInt(count(s, strArg(a[0]), a))),
    ),
  ],
  ['join', def(['iterable'], 1, (s, a, budget) => join(s, a[0], budget))],
  ['zfill', def(['width'], 1, (s, a, budget) => pad(s, a, budget, 'zfill'))],
  ['ljust', def(['width', 'fillchar'], 1, (s, a, budget) => pad(s, a, budget, 'ljust'))],
  ['rjust', def(['width', 'fillchar'], 1, (s, a, budget) => pad(s, a, budget, 'rjust'))],
  ['center', def(['width', 'fillchar'], 1, (s, a, budget) => pad(s, a, budget, 'center'))],
  [
    'removeprefix',
    def(
      ['prefix'],
      1,
      remade((s, a) => (s.startsWith(strArg(a[0])) ? s.slice(strArg(a[0]).length) : s)),
    ),
  ],
  [
    'removesuffix',
    def(
      ['suffix'],
      1,
      remade((s, a) => removeSuffix(s, strArg(a[0]))),
    ),
  ],
  [
    'isdigit',
    def(
      [],
      0,
      scanned((s) => DIGIT.test(s)),
    ),
  ],
  [
    'isdecimal',
    def(
      [],
      0,
      scanned((s) => /^\p{Nd}+$/u.test(s)),
    ),
  ],
  [
    'isalpha',
    def(
      [],
      0,
      scanned((s) => /^\p{L}+$/u.test(s)),
    ),
  ],
  ['isspace', def([], 0, scanned(isSpace))],
  [
    'islower',
    def(
      [],
      0,
      perChar((s) => isCase(s, false)),
    ),
  ],
  [
    'isupper',
    def(
      [],
      0,
      perChar((s) => isCase(s, true)),
    ),
  ],
  ['istitle', def([], 0, perChar(istitle))],
  [
    'isascii',
    def(
      [],
      0,
      scanned((s) => ASCII.test(s)),
    ),
  ],
]);

function removeSuffix(s: string, suffix: string): string {
  return suffix !== '' && s.endsWith(suffix) ? s.slice(0, s.length - suffix.length) : s;
}

function found(at: number): bigint {
  if (at < 0) throw new PyError('ValueError', 'substring not found');
  return BigInt(at);
}

function listOf(fn: (s: string, args: Args) => string[]) {
  return (s: string, args: Args, budget: Budget): string[] => {
    budget.step(charSteps(s.length));
    const parts = fn(s, args);
    budget.step(parts.length);
    budget.spend(parts.length, 8);
    return parts;
  };
}
