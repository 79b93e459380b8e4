/**
 * Python's numbers where JavaScript's differ: int() and float() of text (Unicode digits and spaces,
 * underscores between digits, bases, Python 3.11's 4,300-digit bound), an int as a float (OverflowError
 * rather than Infinity), int / int rounded once, float `%` and `//` with Python's signs, `**` that raises
 * where Python raises, and exact comparisons of ints, floats and Decimals. Each reads its text once, in
 * linear time (a quadratic regular expression stalled a worker on a long value).
 */
import { decCompare, floatToDec } from './decimal.js';
import { type Budget, MAX_INT_DIGITS, PyError } from './limits.js';
import { Dec, intDigitsError, strRepr, tooManyDigits } from './values.js';

/** Python's str.isspace() characters (split(), strip()...). */
export const PY_SPACE =
  '\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u2028\u2029\u202f\u205f\u3000';
const ASCII_SPACE = ' \t\n\v\f\r';
const NON_ASCII_DIGIT = /\p{Nd}/u;
export const NON_ASCII = /[\u0080-\uffff]/;

/** A decimal digit's value (Unicode decimal digits come in runs of ten, 0 to 9). */
function digitValue(ch: string): number {
  let cp = ch.codePointAt(0)!;
  let value = 0;
  while (NON_ASCII_DIGIT.test(String.fromCodePoint(cp - 1)) && value < 9) [cp, value] = [cp - 1, value + 1];
  return value;
}

/**
 * The text as Python's int() and float() read it (_PyUnicode_TransformDecimalAndSpaceToASCII): non-ASCII
 * spaces as ' ', non-ASCII decimal digits as their ASCII digit, then ASCII spaces trimmed; undefined when
 * another non-ASCII character remains.
 */
function asciiNumberText(text: string): string | undefined {
  let out = text;
  if (NON_ASCII.test(text)) {
    out = '';
    for (const ch of text) {
      if (ch.charCodeAt(0) < 0x80) out += ch;
      else if (PY_SPACE.includes(ch)) out += ' ';
      else if (NON_ASCII_DIGIT.test(ch)) out += String(digitValue(ch));
      else return undefined;
    }
  }
  let [start, end] = [0, out.length];
  while (start < end && ASCII_SPACE.includes(out[start]!)) start++;
  while (end > start && ASCII_SPACE.includes(out[end - 1]!)) end--;
  return out.slice(start, end);
}

const PREFIXES: Record<string, number> = { x: 16, o: 8, b: 2 };

const DIGIT_PATTERNS = new Map<string, RegExp>();

/** Digits of `base`, with single underscores between them (and after a base prefix): their text without them, or undefined. */
function digitsOf(text: string, base: number, underscoreFirst: boolean): string | undefined {
  const key = `${base}${underscoreFirst}`;
  let pattern = DIGIT_PATTERNS.get(key);
  if (!pattern) {
    const digit = base <= 10 ? `[0-${base - 1}]` : `[0-9a-${String.fromCharCode(86 + base)}]`;
    pattern = new RegExp(`^${underscoreFirst ? '_?' : ''}${digit}(?:_?${digit})*$`, 'i');
    DIGIT_PATTERNS.set(key, pattern);
  }
  return pattern.test(text) ? text.replace(/_/g, '') : undefined;
}

function invalidInt(text: string, base: number): PyError {
  return new PyError('ValueError', `invalid literal for int() with base ${base}: ${strRepr(text)}`);
}

/** The steps of converting an int of `digits` digits to or from text (quadratic in V8). */
export function digitSteps(digits: number): number {
  return digits > 64 ? Math.ceil((digits * digits) / 32768) : 0;
}

/** int(text, base) as Python 3.11 reads it; `budget`: what the conversion spends. */
export function parseInt_(text: string, base: number, budget?: Budget): bigint {
  if (base !== 0 && (base < 2 || base > 36)) throw new PyError('ValueError', 'int() base must be >= 2 and <= 36, or 0');
  const ascii = asciiNumberText(text);
  if (ascii === undefined) throw invalidInt(text, base);
  const negative = ascii.startsWith('-');
  let body = /^[+-]/.test(ascii) ? ascii.slice(1) : ascii;
  let radix = base;
  const prefix = /^0([xob])/i.exec(body)?.[1]?.toLowerCase();
  const prefixed = prefix !== undefined && (base === 0 || base === PREFIXES[prefix]);
  if (prefixed) [body, radix] = [body.slice(2), PREFIXES[prefix]!];
  else if (base === 0) radix = 10;
  const digits = digitsOf(body, radix, prefixed);
  // Base 0 refuses a leading zero ("010"), as Python's literals do, unless every digit is 0.
  if (digits === undefined || (base === 0 && !prefixed && /^0+[1-9]/.test(digits))) throw invalidInt(text, base);
  if ((radix & (radix - 1)) !== 0 && digits.length > MAX_INT_DIGITS)
    throw new PyError(
      'ValueError',
      `Exceeds the limit (${MAX_INT_DIGITS} digits) for integer string conversion: value has ${digits.length} digits; use sys.set_int_max_str_digits() to increase the limit`,
    );
  budget?.step(digitSteps(digits.length));
  const value = radix === 10 ? BigInt(digits) : bigintInRadix(digits, radix);
  if (tooManyDigits(value)) throw intDigitsError();
  return negative ? -value : value;
}

function bigintInRadix(digits: string, radix: number): bigint {
  const prefix = radix === 16 ? '0x' : radix === 8 ? '0o' : radix === 2 ? '0b' : undefined;
  if (prefix) return BigInt(prefix + digits);
  let value = 0n;
  const r = BigInt(radix);
  for (const ch of digits) value = value * r + BigInt(parseInt(ch, 36));
  return value;
}

const FLOAT_TEXT = /^[+-]?(?:\d(?:_?\d)*(?:\.(?:\d(?:_?\d)*)?)?|\.\d(?:_?\d)*)(?:[eE][+-]?\d(?:_?\d)*)?$/;
const FLOAT_SPECIAL = /^[+-]?(?:inf|infinity|nan)$/i;

/** float(text) as Python reads it; every part of the pattern consumes what it matches once (linear). */
export function parseFloat_(text: string): number {
  const ascii = asciiNumberText(text);
  if (ascii !== undefined && FLOAT_SPECIAL.test(ascii)) {
    if (/nan/i.test(ascii)) return NaN;
    return ascii.startsWith('-') ? -Infinity : Infinity;
  }
  if (ascii === undefined || !FLOAT_TEXT.test(ascii))
    throw new PyError('ValueError', `could not convert string to float: ${strRepr(text)}`);
  return Number(ascii.replace(/_/g, ''));
}

/** float(int): OverflowError past the largest float, as Python. */
export function intToFloat(x: bigint): number {
  const f = Number(x);
  if (!Number.isFinite(f)) throw new PyError('OverflowError', 'int too large to convert to float');
  return f;
}

/** int(float): towards zero. */
export function floatToInt(f: number): bigint {
  if (Number.isNaN(f)) throw new PyError('ValueError', 'cannot convert float NaN to integer');
  if (!Number.isFinite(f)) throw new PyError('OverflowError', 'cannot convert float infinity to integer');
  return BigInt(Math.trunc(f));
}

const SAFE = 2n ** 53n;

/** int / int, rounded once to the nearest float (Python's true division). */
export function intDivide(x: bigint, y: bigint): number {
  if (y === 0n) throw new PyError('ZeroDivisionError', 'division by zero');
  if (x > -SAFE && x < SAFE && y > -SAFE && y < SAFE) return Number(x) / Number(y);
  const negative = x < 0n !== y < 0n;
  const [n, d] = [x < 0n ? -x : x, y < 0n ? -y : y];
  // A quotient of at least 55 bits, its last bit set when inexact, rounds as the exact quotient would.
  const shift = Math.max(0, 55 - (n.toString(2).length - d.toString(2).length));
  const scaled = n << BigInt(shift);
  let q = scaled / d;
  if (scaled % d !== 0n) q |= 1n;
  const first = Math.min(shift, 1000);
  const value = Number(q) * 2 ** -first * 2 ** -(shift - first);
  if (!Number.isFinite(value)) throw new PyError('OverflowError', 'integer division result too large for a float');
  return negative ? -value : value;
}

/** Python's float `%`: the sign of the divisor. */
export function floatMod(x: number, y: number): number {
  if (y === 0) throw new PyError('ZeroDivisionError', 'float modulo');
  let mod = x % y;
  if (mod !== 0) {
    if (y < 0 !== mod < 0) mod += y;
  } else mod = Object.is(y, -0) || y < 0 ? -0 : 0;
  return mod;
}

/** Python's float `//` (float_floor_div). */
export function floatFloorDiv(x: number, y: number): number {
  if (y === 0) throw new PyError('ZeroDivisionError', 'float floor division by zero');
  const mod = x % y;
  let div = (x - mod) / y;
  if (mod !== 0 && y < 0 !== mod < 0) div -= 1;
  if (div === 0) {
    const q = x / y;
    return q < 0 || Object.is(q, -0) ? -0 : 0;
  }
  let floor = Math.floor(div);
  if (div - floor > 0.5) floor += 1;
  return floor;
}

/** Python's float `**`: ZeroDivisionError, OverflowError, and no complex result (tap-crm has none). */
export function floatPow(x: number, y: number): number {
  if (x === 0 && y < 0) throw new PyError('ZeroDivisionError', '0.0 cannot be raised to a negative power');
  if (x < 0 && Number.isFinite(x) && Number.isFinite(y) && !Number.isInteger(y))
    throw new PyError('TypeError', 'a negative number to a fractional power is a complex number, which map values cannot be');
  const value = Number.isInteger(y) && Math.abs(y) <= 64 && Number.isFinite(x) && x !== 0 ? integerPow(x, y) : x ** y;
  if (!Number.isFinite(value) && Number.isFinite(x) && Number.isFinite(y))
    throw new PyError('OverflowError', "(34, 'Numerical result out of range')");
  return value;
}

/** x ** n for an integer n, rounded once as C's pow() rounds it (JavaScript multiplies, rounding at each step). */
function integerPow(x: number, n: number): number {
  const exact = floatToDec(Math.abs(x))!;
  // |x| = coef × 10^exp: its n-th power as a fraction p / q of ints, rounded once.
  const [num, den] = exact.exp >= 0 ? [exact.coef * 10n ** BigInt(exact.exp), 1n] : [exact.coef, 10n ** BigInt(-exact.exp)];
  const m = BigInt(Math.abs(n));
  const [p, q] = n >= 0 ? [num ** m, den ** m] : [den ** m, num ** m];
  const [mantissa, shift] = roundedQuotient(p, q);
  const value = scale(mantissa, shift);
  return x < 0 && n % 2 !== 0 ? -value : value;
}

/** p / q as a float mantissa of 62 bits (its last bit set when inexact, so that Number() rounds once) and a power of two. */
function roundedQuotient(p: bigint, q: bigint): [number, number] {
  const shift = 62 + q.toString(2).length - p.toString(2).length;
  const scaled = shift >= 0 ? p << BigInt(shift) : p;
  const divisor = shift >= 0 ? q : q << BigInt(-shift);
  let quotient = scaled / divisor;
  if (scaled % divisor !== 0n) quotient |= 1n;
  return [Number(quotient), -shift];
}

/** v × 2^k, in steps that neither overflow nor underflow on the way. */
function scale(v: number, k: number): number {
  let value = v;
  let rest = k;
  while (rest > 1000) [value, rest] = [value * 2 ** 1000, rest - 1000];
  while (rest < -1000) [value, rest] = [value * 2 ** -1000, rest + 1000];
  return value * 2 ** rest;
}

/** An int compared exactly with a float (-1, 0, 1), or undefined against nan. */
export function compareIntFloat(i: bigint, f: number): number | undefined {
  if (Number.isNaN(f)) return undefined;
  if (!Number.isFinite(f)) return f > 0 ? -1 : 1;
  const floor = Math.floor(f);
  const fi = BigInt(floor);
  if (i !== fi) return i < fi ? -1 : 1;
  return f > floor ? -1 : 0;
}

/** A Decimal compared exactly with a float, or undefined against nan. */
export function compareDecFloat(d: Dec, f: number): number | undefined {
  if (Number.isNaN(f)) return undefined;
  const exact = floatToDec(f);
  if (!exact) return f > 0 ? -1 : 1;
  return decCompare(d, exact);
}
