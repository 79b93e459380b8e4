/**
 * The values of map expressions, modelled on the Python values the Meltano SDK's mapper computes with, so
 * that the same expression gives the same output: a JSON integer is a Python int (here a bigint), a JSON
 * number with a fraction or an exponent a decimal.Decimal (the SDK parses with parse_float=Decimal: `Dec`
 * here, which keeps "1.50" as it was sent), float() a Python float (a JS number). Strings, booleans, null,
 * arrays (lists and tuples alike) and plain objects (dicts) are themselves.
 */
import { type Budget, MAX_INT_DIGITS, MAX_VALUE_DEPTH, PyError, tooDeep, tooLong } from './limits.js';

export { PyError } from './limits.js';

export type PyValue = null | boolean | bigint | number | string | Dec | PyDate | PyValue[] | PyDict;
export interface PyDict {
  [key: string]: PyValue;
}

/**
 * `dict[key] = value`, where a key `__proto__` (a record may have one) is a key like any other, as in
 * Python, instead of setting the object's prototype. (Dicts without a prototype would need no care, but
 * V8 keeps those in its slow dictionary mode: the maps benchmark took 20% longer.)
 */
export function setItem(dict: PyDict, key: string, value: PyValue): void {
  if (key === '__proto__') Object.defineProperty(dict, key, { value, writable: true, enumerable: true, configurable: true });
  else dict[key] = value;
}

/** A decimal.Decimal: coefficient × 10^exp, exact (only what a JSON number can say: no NaN); `negZero` for -0, -0.00... */
export class Dec {
  constructor(
    readonly coef: bigint,
    readonly exp: number,
    readonly negZero = false,
  ) {}

  static parse(text: string): Dec {
    const match = /^([+-]?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!match || (match[2] === '' && !match[3])) throw new PyError('decimal.InvalidOperation', `[<class 'decimal.ConversionSyntax'>]`);
    const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
    const coef = BigInt(`${sign === '-' ? '-' : ''}${whole}${fraction}` || '0');
    return new Dec(coef, Number(exponent) - fraction.length, sign === '-' && coef === 0n);
  }

  static of(value: bigint): Dec {
    return new Dec(value, 0);
  }

  get negative(): boolean {
    return this.coef < 0n || this.negZero;
  }

  /** Python's str(Decimal): the to-scientific-string of the General Decimal Arithmetic spec. */
  toString(): string {
    const digits = (this.coef < 0n ? -this.coef : this.coef).toString();
    const adjusted = this.exp + digits.length - 1;
    let text: string;
    if (this.exp <= 0 && adjusted >= -6) {
      const point = digits.length + this.exp;
      text = this.exp === 0 ? digits : point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
    } else {
      const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
      text = `${digits[0]!}${rest}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
    }
    return this.negative ? `-${text}` : text;
  }

  toNumber(): number {
    return Number(this.toString());
  }
}

/** A datetime.date or datetime.datetime (naive, or UTC when `utc`), as far as map expressions use them. */
export class PyDate {
  constructor(
    readonly ms: number,
    readonly dateOnly: boolean,
    /** The offset in minutes, or undefined for a naive datetime. */
    readonly offset: number | undefined,
  ) {}

  /** The wall-clock fields (year, month...) as a UTC Date. */
  get wall(): Date {
    return new Date(this.ms + (this.offset ?? 0) * 60000);
  }

  /** isoformat(): "2024-01-02" or "2024-01-02T03:04:05[.ffffff][+00:00]". */
  isoformat(): string {
    const iso = this.wall.toISOString();
    if (this.dateOnly) return iso.slice(0, 10);
    const ms = iso.slice(20, 23);
    const base = iso.slice(0, 19) + (ms === '000' ? '' : `.${ms}000`);
    return this.offset === undefined ? base : base + offsetText(this.offset);
  }

  /** repr(): datetime.datetime(2024, 1, 2, 3, 4[, 5[, 123000]][, tzinfo=...]). */
  repr(): string {
    const at = this.wall;
    const fields = [at.getUTCFullYear(), at.getUTCMonth() + 1, at.getUTCDate()];
    if (this.dateOnly) return `datetime.date(${fields.join(', ')})`;
    fields.push(at.getUTCHours(), at.getUTCMinutes());
    const [s, us] = [at.getUTCSeconds(), at.getUTCMilliseconds() * 1000];
    if (s !== 0 || us !== 0) fields.push(s);
    if (us !== 0) fields.push(us);
    const tz = this.offset === undefined ? '' : `, tzinfo=${timezoneRepr(this.offset)}`;
    return `datetime.datetime(${fields.join(', ')}${tz})`;
  }
}

function offsetText(offset: number): string {
  const abs = Math.abs(offset);
  return `${offset < 0 ? '-' : '+'}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
}

function timezoneRepr(offset: number): string {
  if (offset === 0) return 'datetime.timezone.utc';
  const days = Math.floor((offset * 60) / 86400);
  const seconds = offset * 60 - days * 86400;
  const delta = days === 0 ? `seconds=${seconds}` : `days=${days}, seconds=${seconds}`;
  return `datetime.timezone(datetime.timedelta(${delta}))`;
}

/** Python's type name of a value, as its error messages write it. */
export function typeName(value: PyValue): string {
  if (value === null) return 'NoneType';
  if (typeof value === 'boolean') return 'bool';
  if (typeof value === 'bigint') return 'int';
  if (typeof value === 'number') return 'float';
  if (typeof value === 'string') return 'str';
  if (value instanceof Dec) return 'decimal.Decimal';
  if (value instanceof PyDate) return value.dateOnly ? 'datetime.date' : 'datetime.datetime';
  if (Array.isArray(value)) return 'list';
  return 'dict';
}

export function isDict(value: PyValue): value is PyDict {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Dec) && !(value instanceof PyDate);
}

/** Python's truth value. */
export function truthy(value: PyValue): boolean {
  if (value === null) return false;
  if (typeof value === 'boolean') return value;
  if (typeof value === 'bigint') return value !== 0n;
  if (typeof value === 'number') return value !== 0; // NaN is true, as in Python
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof Dec) return value.coef !== 0n;
  if (value instanceof PyDate) return true;
  if (Array.isArray(value)) return value.length > 0;
  for (const key in value) if (Object.hasOwn(value, key)) return true;
  return false;
}

/** repr(float): the shortest text that reads back the same, in Python's layout (1.0, 1e+16, 1e-05). */
export function floatRepr(x: number): string {
  if (Number.isNaN(x)) return 'nan';
  if (!Number.isFinite(x)) return x > 0 ? 'inf' : '-inf';
  if (x === 0) return Object.is(x, -0) ? '-0.0' : '0.0';
  const [mantissa = '', e = '0'] = x.toExponential().split('e');
  const negative = mantissa.startsWith('-');
  const digits = mantissa.replace('-', '').replace('.', '');
  const exp = Number(e);
  let text: string;
  if (exp >= -4 && exp < 16) {
    if (exp >= digits.length - 1) text = `${digits}${'0'.repeat(exp - digits.length + 1)}.0`;
    else if (exp >= 0) text = `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}`;
    else text = `0.${'0'.repeat(-exp - 1)}${digits}`;
  } else {
    const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
    text = `${digits[0]!}${rest}e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  }
  return negative ? `-${text}` : text;
}

/** 10^4300: an int whose magnitude reaches it has more digits than Python writes. */
export const INT_DIGITS_BOUND = 10n ** BigInt(MAX_INT_DIGITS);
const NEGATIVE_BOUND = -INT_DIGITS_BOUND;

/** Whether an int has more digits than Python 3.11 converts to or from text (int_max_str_digits). */
export function tooManyDigits(x: bigint): boolean {
  return x >= INT_DIGITS_BOUND || x <= NEGATIVE_BOUND;
}

export function intDigitsError(): PyError {
  return new PyError(
    'ValueError',
    `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion; use sys.set_int_max_str_digits() to increase the limit`,
  );
}

/** str(int), refused past 4,300 digits as Python 3.11 refuses it. */
export function intText(x: bigint): string {
  if (tooManyDigits(x)) throw intDigitsError();
  return x.toString();
}

// Python's str.isprintable() is false for these (a space aside): repr() escapes them.
const NOT_PRINTABLE = /[\p{Cc}\p{Cf}\p{Cs}\p{Co}\p{Cn}\p{Zl}\p{Zp}\p{Zs}]/u;
const REPR_PLAIN = /^[\x20-\x26\x28-\x5b\x5d-\x7e]*$/;

/** repr(str): single quotes unless the text holds one and no double quote, escapes as Python writes them. */
export function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  if (REPR_PLAIN.test(text)) return quote + text + quote;
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === ' ' || !NOT_PRINTABLE.test(ch)) out += ch;
    else if (code < 0x100) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else if (code < 0x10000) out += `\\u${code.toString(16).padStart(4, '0')}`;
    else out += `\\U${code.toString(16).padStart(8, '0')}`;
  }
  return out + quote;
}

/** Text written piece by piece, refused past `limit` characters (what an expression makes is bounded). */
class TextOut {
  text = '';
  constructor(
    readonly limit: number,
    /** Spent a step an element written, when an expression writes. */
    readonly budget?: Budget,
  ) {}

  add(piece: string): void {
    if (this.text.length + piece.length > this.limit) throw tooLong('a text that long');
    this.text += piece;
  }
}

function reprTo(out: TextOut, value: PyValue, depth: number): void {
  if (typeof value === 'string') {
    out.add(strRepr(value));
    return;
  }
  if (value instanceof Dec) {
    out.add(`Decimal('${value.toString()}')`);
    return;
  }
  if (value instanceof PyDate) {
    out.add(value.repr());
    return;
  }
  if (Array.isArray(value) || isDict(value)) {
    if (depth >= MAX_VALUE_DEPTH) throw tooDeep();
    {
      containerTo(out, value, depth + 1);
      return;
    }
  }
  out.add(str(value, Infinity, out.budget));
}

function containerTo(out: TextOut, value: PyValue[] | PyDict, depth: number): void {
  let first = true;
  if (Array.isArray(value)) {
    out.add('[');
    out.budget?.step(2 * value.length);
    for (const item of value) {
      if (!first) out.add(', ');
      first = false;
      reprTo(out, item, depth);
    }
    {
      out.add(']');
      return;
    }
  }
  out.add('{');
  out.budget?.step(2 * Object.keys(value).length);
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    if (!first) out.add(', ');
    first = false;
    out.add(`${strRepr(key)}: `);
    reprTo(out, value[key]!, depth);
  }
  out.add('}');
}

/** Python's repr() of a value; `limit`: the longest text it may be (a longer one is IterableTooLong); `budget`: what it spends. */
export function repr(value: PyValue, limit = Infinity, budget?: Budget): string {
  if (typeof value === 'string') return strRepr(value);
  const out = new TextOut(limit, budget);
  reprTo(out, value, 0);
  return out.text;
}

/** Python's str() of a value; `limit`: the longest text it may be (a longer one is IterableTooLong); `budget`: what it spends. */
export function str(value: PyValue, limit = Infinity, budget?: Budget): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') {
    const text = intText(value);
    // Writing a long int is quadratic: 4,300 digits take as long as a few hundred steps.
    if (text.length > 64) budget?.step(Math.ceil((text.length * text.length) / 32768));
    return text;
  }
  if (typeof value === 'number') return floatRepr(value);
  if (typeof value === 'string') return value;
  if (value instanceof Dec) return value.toString();
  if (value instanceof PyDate) return value.dateOnly ? value.isoformat() : value.isoformat().replace('T', ' ');
  return repr(value, limit, budget);
}

/** Python's order of two strings: by code points (JS compares UTF-16 units, which differs past U+FFFF). */
export function compareText(a: string, b: string): number {
  if (a === b) return 0;
  const n = Math.min(a.length, b.length);
  let i = 0;
  while (i < n && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  if (i === n) return a.length < b.length ? -1 : 1;
  return codeUnitRank(a.charCodeAt(i)) < codeUnitRank(b.charCodeAt(i)) ? -1 : 1;
}

/** A UTF-16 unit ranked as the code point it starts: surrogates (U+10000 and up) after U+E000..U+FFFF. */
function codeUnitRank(unit: number): number {
  if (unit >= 0xe000) return unit - 0x800;
  if (unit >= 0xd800) return unit + 0x2000;
  return unit;
}
