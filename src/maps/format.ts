/**
 * Python's printf-style `text % args`: `%[(key)][flags][width][.precision]type` with the types s r a d i
 * u o x X e E f F g G c and %, `*` widths, a dict for keyed specs. Floats are written from their exact
 * value, rounded half to even as Python does (JavaScript's toFixed rounds half up and stops at 100 digits).
 * The text made is bounded (limits.ts). A list on the right is taken as a tuple of arguments, since
 * map values do not tell lists and tuples apart.
 */
import { decToInt, dropDigits, floatToDec } from './decimal.js';
import { type Budget, MAX_INT_DIGITS, MAX_LENGTH, PyError, tooLong } from './limits.js';
import { floatToInt, intToFloat } from './numbers.js';
import { Dec, intDigitsError, isDict, repr, str, strRepr, tooManyDigits, typeName, type PyDict, type PyValue } from './values.js';

interface Spec {
  key?: string;
  flags: string;
  width: number;
  precision?: number;
  type: string;
}

const SPEC = /%(?:\(([^)]*)\))?([#0\- +]*)(\*|\d+)?(?:\.(\*|\d*))?[hlL]?([\s\S]?)/y;
const TYPES = 'sradiuoxXeEfFgGc%';

/** `format % args`. */
export function percentFormat(format: string, args: PyValue, budget: Budget): string {
  const tuple = Array.isArray(args) ? args : [args];
  const mapping = isDict(args) ? args : undefined;
  let next = 0;
  let keyed = false;
  const take = (): PyValue => {
    if (next >= tuple.length || keyed) throw new PyError('TypeError', 'not enough arguments for format string');
    return tuple[next++]!;
  };
  let out = '';
  let at = 0;
  for (let percent = format.indexOf('%'); percent >= 0; percent = format.indexOf('%', at)) {
    out += format.slice(at, percent);
    const [spec, end] = readSpec(format, percent, take);
    at = end;
    if (spec.type === '%') {
      out += '%';
      continue;
    }
    keyed ||= spec.key !== undefined;
    budget.step(4); // a conversion costs about four nodes evaluated
    const value = spec.key === undefined ? take() : lookup(mapping, spec.key);
    out += convert(spec, value, budget);
    if (out.length > MAX_LENGTH) throw tooLong('a text that long');
  }
  out += format.slice(at);
  if (next < tuple.length && !mapping && !keyed) throw new PyError('TypeError', 'not all arguments converted during string formatting');
  budget.spend(out.length, 2);
  return out;
}

function readSpec(format: string, percent: number, take: () => PyValue): [Spec, number] {
  SPEC.lastIndex = percent;
  const match = SPEC.exec(format)!;
  const [, key, flags = '', width, precision, type = ''] = match;
  if (type === '') throw new PyError('ValueError', 'incomplete format');
  if (!TYPES.includes(type))
    throw new PyError(
      'ValueError',
      `unsupported format character '${type}' (0x${type.codePointAt(0)!.toString(16)}) at index ${percent + match[0].length - 1}`,
    );
  const star = (text: string | undefined): number | undefined => {
    if (text === undefined) return undefined;
    if (text !== '*') return text === '' ? 0 : boundedNumber(text);
    const value = take();
    if (typeof value !== 'bigint' && typeof value !== 'boolean') throw new PyError('TypeError', '* wants int');
    return Number(value);
  };
  let w = star(width) ?? 0;
  let f = flags;
  if (w < 0) [w, f] = [-w, `${f}-`];
  if (w > MAX_LENGTH) throw tooLong('a text that long');
  return [{ key, flags: f, width: w, precision: star(precision), type }, percent + match[0].length];
}

function boundedNumber(text: string): number {
  if (text.length > 7) throw tooLong('a text that long');
  return Number(text);
}

function lookup(mapping: PyDict | undefined, key: string): PyValue {
  if (!mapping) throw new PyError('TypeError', 'format requires a mapping');
  if (!Object.hasOwn(mapping, key)) throw new PyError('KeyError', strRepr(key));
  return mapping[key]!;
}

function convert(spec: Spec, value: PyValue, budget: Budget): string {
  switch (spec.type) {
    case 's':
    case 'r':
    case 'a':
      return padded(spec, textOf(spec, value, budget), false);
    case 'c':
      return padded(spec, charOf(value), false);
    case 'd':
    case 'i':
    case 'u':
    case 'o':
    case 'x':
    case 'X':
      return padded(spec, integer(spec, value), true);
    default:
      budget.step(spec.precision === undefined ? 1 : spec.precision >>> 6);
      return padded(spec, real(spec, value), true);
  }
}

function textOf(spec: Spec, value: PyValue, budget: Budget): string {
  const text = spec.type === 's' ? str(value, MAX_LENGTH, budget) : repr(value, MAX_LENGTH, budget);
  const shown = spec.type === 'a' ? asciiEscape(text) : text;
  return spec.precision === undefined ? shown : Array.from(shown).slice(0, spec.precision).join('');
}

/** ascii(): repr() with every non-ASCII character escaped. */
function asciiEscape(text: string): string {
  return text.replace(/[\u{80}-\u{10ffff}]/gu, (ch) => {
    const cp = ch.codePointAt(0)!;
    if (cp < 0x100) return `\\x${cp.toString(16).padStart(2, '0')}`;
    if (cp < 0x10000) return `\\u${cp.toString(16).padStart(4, '0')}`;
    return `\\U${cp.toString(16).padStart(8, '0')}`;
  });
}

function charOf(value: PyValue): string {
  if (typeof value === 'string') {
    if (Array.from(value).length !== 1) throw new PyError('TypeError', '%c requires int or char');
    return value;
  }
  if (typeof value !== 'bigint' && typeof value !== 'boolean') throw new PyError('TypeError', '%c requires int or char');
  const cp = Number(value);
  if (cp < 0 || cp > 0x10ffff) throw new PyError('OverflowError', '%c arg not in range(0x110000)');
  return String.fromCodePoint(cp);
}

/** The sign and digits of %d %o %x %X. */
function integer(spec: Spec, value: PyValue): [string, string] {
  let n: bigint;
  if (typeof value === 'bigint') n = value;
  else if (typeof value === 'boolean') n = value ? 1n : 0n;
  else if (typeof value === 'number' && 'diu'.includes(spec.type)) n = floatToInt(value);
  else if (value instanceof Dec && 'diu'.includes(spec.type)) n = decToInt(value, MAX_INT_DIGITS) ?? failDigits();
  else {
    const need = 'diu'.includes(spec.type) ? 'a real number' : 'an integer';
    throw new PyError('TypeError', `%${spec.type} format: ${need} is required, not ${typeName(value)}`);
  }
  const radix = spec.type === 'o' ? 8 : 'xX'.includes(spec.type) ? 16 : 10;
  let digits = (n < 0n ? -n : n).toString(radix);
  if (radix === 10 && tooManyDigits(n)) throw intDigitsError();
  if (spec.precision !== undefined) digits = digits.padStart(spec.precision, '0');
  if (spec.type === 'X') digits = digits.toUpperCase();
  const prefix = spec.flags.includes('#') && radix !== 10 ? `0${spec.type === 'o' ? 'o' : spec.type}` : '';
  return [sign(spec, n < 0n) + prefix, digits];
}

function failDigits(): never {
  throw intDigitsError();
}

function sign(spec: Spec, negative: boolean): string {
  if (negative) return '-';
  return spec.flags.includes('+') ? '+' : spec.flags.includes(' ') ? ' ' : '';
}

/** The sign and digits of %e %f %g (and upper case). */
function real(spec: Spec, value: PyValue): [string, string] {
  let x: number;
  if (typeof value === 'number') x = value;
  else if (typeof value === 'bigint') x = intToFloat(value);
  else if (typeof value === 'boolean') x = value ? 1 : 0;
  else if (value instanceof Dec) x = value.toNumber();
  else throw new PyError('TypeError', `must be real number, not ${typeName(value)}`);
  const upper = spec.type === spec.type.toUpperCase();
  const negative = x < 0 || Object.is(x, -0);
  let body: string;
  if (!Number.isFinite(x)) body = Number.isNaN(x) ? 'nan' : 'inf';
  else body = realDigits(spec, Math.abs(x));
  return [sign(spec, negative && !Number.isNaN(x)), upper ? body.toUpperCase() : body];
}

function realDigits(spec: Spec, x: number): string {
  const precision = spec.precision ?? 6;
  if (precision > MAX_LENGTH) throw tooLong('a text that long');
  const alternate = spec.flags.includes('#');
  const type = spec.type.toLowerCase();
  if (type === 'f') return fixed(x, precision, alternate);
  if (type === 'e') return scientific(x, precision, alternate);
  const p = precision === 0 ? 1 : precision;
  const [, exp] = significant(x, p);
  const text = exp >= -4 && exp < p ? fixed(x, p - 1 - exp, alternate) : scientific(x, p - 1, alternate);
  if (alternate) return text;
  return text.replace(/(\.\d*?)0+(e|$)/, '$1$2').replace(/\.(e|$)/, '$1');
}

/** x (not negative) rounded half-even to `digits` significant digits: the digits and the decimal exponent of the first. */
function significant(x: number, digits: number): [string, number] {
  if (x === 0) return ['0'.repeat(digits), 0];
  const exact = floatToDec(x)!;
  const text = exact.coef.toString();
  let adjusted = exact.exp + text.length - 1;
  let kept = dropDigits(exact.coef, text.length - digits).toString();
  if (text.length < digits) kept = text + '0'.repeat(digits - text.length);
  if (kept.length > digits) [kept, adjusted] = [kept.slice(0, digits), adjusted + 1];
  return [kept, adjusted];
}

function scientific(x: number, precision: number, alternate: boolean): string {
  const [digits, exp] = significant(x, precision + 1);
  const point = precision > 0 || alternate ? '.' : '';
  const e = `e${exp < 0 ? '-' : '+'}${String(Math.abs(exp)).padStart(2, '0')}`;
  return `${digits[0]!}${point}${digits.slice(1)}${e}`;
}

function fixed(x: number, precision: number, alternate: boolean): string {
  const exact = floatToDec(x)!;
  const coef = exact.coef < 0n ? -exact.coef : exact.coef;
  const scaled = exact.exp + precision >= 0 ? coef * 10n ** BigInt(exact.exp + precision) : dropDigits(coef, -(exact.exp + precision));
  const text = scaled.toString().padStart(precision + 1, '0');
  const whole = text.slice(0, text.length - precision);
  const point = precision > 0 || alternate ? '.' : '';
  return `${whole}${point}${text.slice(text.length - precision)}`;
}

/** A converted value padded to the spec's width: left ('-'), with zeros after the sign ('0', numbers only), or with spaces. */
function padded(spec: Spec, converted: string | [string, string], numeric: boolean): string {
  const [prefix, body] = typeof converted === 'string' ? ['', converted] : converted;
  if (spec.width === 0) return prefix + body;
  const length = Array.from(prefix + body).length;
  if (length >= spec.width) return prefix + body;
  const fill = spec.width - length;
  if (spec.flags.includes('-')) return prefix + body + ' '.repeat(fill);
  if (numeric && spec.flags.includes('0')) return prefix + '0'.repeat(fill) + body;
  return ' '.repeat(fill) + prefix + body;
}
