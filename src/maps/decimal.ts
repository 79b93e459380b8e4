/**
 * decimal.Decimal arithmetic in Python's default context: 28 significant digits, ROUND_HALF_EVEN, the
 * exponent within ±999,999 (Overflow, DivisionByZero and InvalidOperation raise, as Python's traps do),
 * signed zeros. A record's Decimal may hold any exponent its JSON text says (1e999999999): operands far
 * apart are aligned as Python's libmpdec does, without writing out the digits between them.
 */
import { PyError } from './limits.js';
import { Dec } from './values.js';

const PREC = 28;
const EMAX = 999_999;
const EMIN = -999_999;
const ETINY = EMIN - PREC + 1;
/** The Decimal's digits as Python counts them (the coefficient 0 has one). */
function digits(c: bigint): number {
  return (c < 0n ? -c : c).toString().length;
}

function pow10(n: number): bigint {
  return 10n ** BigInt(n);
}

function signal(name: string): PyError {
  const kind = name === 'DivisionByZero' || name === 'Overflow' ? name : 'InvalidOperation';
  return new PyError(`decimal.${kind}`, `[<class 'decimal.${name}'>]`);
}

/** A sign and magnitude: Dec keeps the sign in its coefficient, but a zero may be negative. */
interface Parts {
  neg: boolean;
  c: bigint;
  e: number;
}

function parts(x: Dec): Parts {
  return { neg: x.negative, c: x.coef < 0n ? -x.coef : x.coef, e: x.exp };
}

function make(neg: boolean, c: bigint, e: number): Dec {
  return new Dec(neg ? -c : c, e, neg && c === 0n);
}

/** Drops `n` digits of `c` (not negative), rounding half to even. */
export function dropDigits(c: bigint, n: number): bigint {
  if (n <= 0) return c;
  if (n > digits(c) + 1) return 0n;
  const unit = pow10(n);
  const q = c / unit;
  const r = c % unit;
  const half = unit / 2n;
  return r > half || (r === half && q % 2n === 1n) ? q + 1n : q;
}

/** The result rounded to the context: 28 digits, Overflow past Emax, subnormal results at Etiny. */
function finish(neg: boolean, c: bigint, e: number): Dec {
  let [coef, exp] = [c, e];
  const extra = digits(coef) - PREC;
  if (extra > 0) {
    coef = dropDigits(coef, extra);
    exp += extra;
    if (digits(coef) > PREC) [coef, exp] = [coef / 10n, exp + 1];
  }
  if (coef !== 0n && exp + digits(coef) - 1 > EMAX) throw signal('Overflow');
  if (coef === 0n && exp > EMAX) exp = EMAX;
  if (exp < ETINY) {
    coef = dropDigits(coef, ETINY - exp);
    exp = ETINY;
  }
  return make(neg, coef, exp);
}

/** x + y (y's sign flipped for x - y). */
export function decAdd(x: Dec, y: Dec, subtract: boolean): Dec {
  let a = parts(x);
  let b = parts(y);
  if (subtract) b = { ...b, neg: !b.neg };
  if (a.c === 0n && b.c === 0n) return finish(a.neg && b.neg, 0n, Math.min(a.e, b.e));
  if (a.c === 0n) return addZero(b, a.e);
  if (b.c === 0n) return addZero(a, b.e);
  if (a.e < b.e) [a, b] = [b, a];
  // b far below a's last digit that counts: only its sign and that it is not zero matter (a "sticky" digit).
  const shift = Math.max(0, PREC + 2 - digits(a.c));
  if (b.e + digits(b.c) < a.e - shift - 1) {
    a = { ...a, c: a.c * pow10(shift), e: a.e - shift };
    b = { ...b, c: 1n, e: a.e - 1 };
  }
  const e = Math.min(a.e, b.e);
  const sa = (a.neg ? -a.c : a.c) * pow10(a.e - e);
  const sb = (b.neg ? -b.c : b.c) * pow10(b.e - e);
  const sum = sa + sb;
  return finish(sum < 0n, sum < 0n ? -sum : sum, e);
}

/** x + 0 at the zero's exponent `zeroExp`: x written down to it, no further than 28 digits. */
function addZero(x: Parts, zeroExp: number): Dec {
  if (x.e <= zeroExp) return finish(x.neg, x.c, x.e);
  const pad = Math.min(x.e - zeroExp, Math.max(0, PREC - digits(x.c)));
  return finish(x.neg, x.c * pow10(pad), x.e - pad);
}

export function decMul(x: Dec, y: Dec): Dec {
  const [a, b] = [parts(x), parts(y)];
  return finish(a.neg !== b.neg, a.c * b.c, a.e + b.e);
}

/** Division at 28 digits, half-even; an exact result at its ideal exponent (Python's rules). */
export function decDiv(x: Dec, y: Dec): Dec {
  const [a, b] = [parts(x), parts(y)];
  const neg = a.neg !== b.neg;
  if (b.c === 0n) throw signal(a.c === 0n ? 'DivisionUndefined' : 'DivisionByZero');
  const ideal = a.e - b.e;
  if (a.c === 0n) return finish(neg, 0n, ideal);
  const shift = Math.max(0, PREC + digits(b.c) - digits(a.c) + 1);
  const scaled = a.c * pow10(shift);
  let q = scaled / b.c;
  const exact = scaled % b.c === 0n;
  let exp = ideal - shift;
  if (exact) {
    while (exp < ideal && q % 10n === 0n) [q, exp] = [q / 10n, exp + 1];
    return finish(neg, q, exp);
  }
  // Inexact: one more digit than needed, and a sticky digit so that a tie is never taken for exact.
  return finish(neg, q * 10n + 1n, exp - 1);
}

/** The integer part of x / y, as Python's Decimal `//` (towards zero). */
export function decFloorDiv(x: Dec, y: Dec): Dec {
  const [a, b, q] = integerQuotient(x, y);
  return finish(a.neg !== b.neg, q, 0);
}

/** x - y * (x // y), with x's sign, as Python's Decimal `%`. */
export function decMod(x: Dec, y: Dec): Dec {
  // x % 0 is InvalidOperation in Python, whatever x is (x // 0 is DivisionByZero).
  if (y.coef === 0n) throw signal(x.coef === 0n ? 'DivisionUndefined' : 'InvalidOperation');
  const [a, b, q] = integerQuotient(x, y);
  const e = Math.min(a.e, b.e);
  const r = a.c === 0n ? 0n : q === 0n ? a.c * pow10(a.e - e) : a.c * pow10(a.e - e) - q * b.c * pow10(b.e - e);
  return finish(a.neg, r, e);
}

function integerQuotient(x: Dec, y: Dec): [Parts, Parts, bigint] {
  const [a, b] = [parts(x), parts(y)];
  if (b.c === 0n) throw signal(a.c === 0n ? 'DivisionUndefined' : 'DivisionByZero');
  // The quotient's digits, roughly: more than the context's precision is DivisionImpossible.
  if (a.c !== 0n && a.e + digits(a.c) - (b.e + digits(b.c)) > PREC) throw signal('DivisionImpossible');
  if (a.c === 0n || a.e + digits(a.c) < b.e + digits(b.c)) return [a, b, 0n];
  const e = Math.min(a.e, b.e);
  const q = (a.c * pow10(a.e - e)) / (b.c * pow10(b.e - e));
  if (digits(q) > PREC) throw signal('DivisionImpossible');
  return [a, b, q];
}

/** Decimal ** int, for exponents whose exact result stays under `maxDigits` digits (else undefined). */
export function decPow(x: Dec, n: bigint, maxDigits: number): Dec | undefined {
  const a = parts(x);
  if (n === 0n) {
    if (a.c === 0n) throw signal('InvalidOperation');
    return make(false, 1n, 0);
  }
  const m = n < 0n ? -n : n;
  if (a.c !== 0n && a.c !== 1n && digits(a.c) * Number(m) > maxDigits) return undefined;
  const neg = a.neg && m % 2n === 1n;
  // 0 ** n is 0 at exponent 0; 0 ** -n is Infinity in Python, which map values cannot hold.
  if (a.c === 0n) {
    if (n < 0n) throw signal('DivisionByZero');
    return make(neg, 0n, 0);
  }
  const e = a.e * Number(m);
  if (!Number.isSafeInteger(e)) return undefined;
  if (n > 0n) return finish(neg, a.c ** m, e);
  return decDiv(make(false, 1n, 0), make(neg, a.c ** m, e));
}

/** -x and +x: Python applies the context, and a zero result is positive. */
export function decUnary(x: Dec, negate: boolean): Dec {
  const a = parts(x);
  const neg = a.c === 0n ? false : negate !== a.neg;
  return finish(neg, a.c, a.e);
}

/** x compared with y (-1, 0, 1), exactly, however far apart their exponents. */
export function decCompare(x: Dec, y: Dec): number {
  const [a, b] = [parts(x), parts(y)];
  const [za, zb] = [a.c === 0n, b.c === 0n];
  if (za && zb) return 0;
  const sa = za ? 0 : a.neg ? -1 : 1;
  const sb = zb ? 0 : b.neg ? -1 : 1;
  if (sa !== sb) return sa < sb ? -1 : 1;
  const magnitude = compareMagnitude(a, b);
  return sa < 0 ? -magnitude : magnitude;
}

function compareMagnitude(a: Parts, b: Parts): number {
  const [adjA, adjB] = [a.e + digits(a.c) - 1, b.e + digits(b.c) - 1];
  if (adjA !== adjB) return adjA < adjB ? -1 : 1;
  const e = Math.min(a.e, b.e);
  const [p, q] = [a.c * pow10(a.e - e), b.c * pow10(b.e - e)];
  return p < q ? -1 : p > q ? 1 : 0;
}

/** A float's exact value as a Decimal (Decimal.from_float), for exact comparisons; undefined for nan and infinities. */
export function floatToDec(f: number): Dec | undefined {
  if (!Number.isFinite(f)) return undefined;
  if (f === 0) return new Dec(0n, 0, Object.is(f, -0));
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, f);
  const bits = view.getBigUint64(0);
  const biased = Number((bits >> 52n) & 0x7ffn);
  let mantissa = bits & 0xfffffffffffffn;
  if (biased !== 0) mantissa |= 1n << 52n;
  const exp2 = (biased === 0 ? 1 : biased) - 1075;
  const sign = f < 0 ? -1n : 1n;
  if (exp2 >= 0) return new Dec(sign * (mantissa << BigInt(exp2)), 0);
  return new Dec(sign * mantissa * 5n ** BigInt(-exp2), exp2);
}

/** int(Decimal): towards zero; undefined when it would have more than `maxDigits` digits. */
export function decToInt(x: Dec, maxDigits: number): bigint | undefined {
  if (x.exp >= 0) {
    if (x.coef !== 0n && digits(x.coef) + x.exp > maxDigits) return undefined;
    return x.coef * pow10(x.exp);
  }
  if (digits(x.coef) + x.exp <= 0) return 0n;
  return x.coef / pow10(-x.exp);
}
