/**
 * Python's operators on map values (values.ts): arithmetic with int, float and Decimal as Python mixes
 * them (a Decimal and a float do not mix: a TypeError, as in the SDK), comparisons (exact between kinds
 * of numbers, strings by code point), `in`, equality. Every operator keeps simpleeval's bounds and
 * tap-crm's (limits.ts): no string or list over 100,000, no power with an operand over 4,000,000, no shift
 * over 10,000, no int over 4,300 digits, and the record's budget of steps and bytes.
 */
import { decAdd, decCompare, decDiv, decFloorDiv, decMod, decMul, decPow, decUnary } from './decimal.js';
import { percentFormat } from './format.js';
import { type Budget, MAX_INT_DIGITS, MAX_LENGTH, MAX_POWER, MAX_SHIFT, MAX_VALUE_DEPTH, PyError, tooDeep } from './limits.js';
import { compareDecFloat, compareIntFloat, floatFloorDiv, floatMod, floatPow, intDivide, intToFloat } from './numbers.js';
import { compareText, Dec, isDict, PyDate, setItem, tooManyDigits, truthy, typeName, type PyDict, type PyValue } from './values.js';

type Num = bigint | number | Dec;

/** A number operand: bool counts as int, as in Python. */
function num(value: PyValue): Num | undefined {
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'bigint' || typeof value === 'number' || value instanceof Dec) return value;
  return undefined;
}

function unsupported(op: string, a: PyValue, b: PyValue): PyError {
  return new PyError('TypeError', `unsupported operand type(s) for ${op}: '${typeName(a)}' and '${typeName(b)}'`);
}

function tooHigh(what: string): PyError {
  return new PyError('NumberTooHigh', `Sorry! I don't want to evaluate ${what}`);
}

/** An int that would have more digits than Python writes (4,300): refused where it is made. */
function bigInt(x: bigint): bigint {
  if (tooManyDigits(x)) throw tooHigh(`an int of more than ${MAX_INT_DIGITS.toLocaleString('en-US')} digits`);
  return x;
}

/** The binary digits of an int (an estimate is enough: it bounds a power before it is computed). */
function bitLength(x: bigint): number {
  const n = x < 0n ? -x : x;
  return n < 2n ** 64n ? (n === 0n ? 0 : Math.floor(Math.log2(Number(n))) + 1) : n.toString(16).length * 4;
}

function magnitude(value: Num): number {
  return Math.abs(value instanceof Dec ? value.toNumber() : Number(value));
}

export function binaryOp(op: string, a: PyValue, b: PyValue, budget: Budget): PyValue {
  if (op === '+') {
    const sum = concatenate(a, b, budget);
    if (sum !== undefined) return sum;
  } else if (op === '*') {
    const repeat = sequenceRepeat(a, b, budget) ?? sequenceRepeat(b, a, budget);
    if (repeat !== undefined) return repeat;
  } else if (op === '%' && typeof a === 'string') return percentFormat(a, b, budget);
  else if (op === '|' && isDict(a) && isDict(b)) return mergeDicts(a, b, budget);
  else if ((op === '&' || op === '|' || op === '^') && typeof a === 'boolean' && typeof b === 'boolean')
    return op === '&' ? a && b : op === '|' ? a || b : a !== b;
  const x = num(a);
  const y = num(b);
  if (x === undefined || y === undefined) throw unsupported(op, a, b);
  if (op === '**' && (magnitude(x) > MAX_POWER || magnitude(y) > MAX_POWER)) throw tooHigh(`${String(x)} ** ${String(y)}`);
  if (x instanceof Dec || y instanceof Dec) {
    if (typeof x === 'number' || typeof y === 'number') throw unsupported(op, a, b);
    return decimalOp(op, x instanceof Dec ? x : Dec.of(x), y instanceof Dec ? y : Dec.of(y), a, b);
  }
  if (typeof x === 'bigint' && typeof y === 'bigint') return intOp(op, x, y, a, b, budget);
  return floatOp(op, typeof x === 'bigint' ? intToFloat(x) : x, typeof y === 'bigint' ? intToFloat(y) : y, a, b);
}

function concatenate(a: PyValue, b: PyValue, budget: Budget): PyValue | undefined {
  const strings = typeof a === 'string' && typeof b === 'string';
  if (!strings && !(Array.isArray(a) && Array.isArray(b))) return undefined;
  const length = a.length + b.length;
  if (length > MAX_LENGTH) throw new PyError('IterableTooLong', 'Sorry, adding those two together would make something too long.');
  budget.spend(length, strings ? 2 : 8);
  return strings ? a + b : [...(a as PyValue[]), ...(b as PyValue[])];
}

function sequenceRepeat(seq: PyValue, times: PyValue, budget: Budget): PyValue | undefined {
  if (typeof times !== 'bigint' && typeof times !== 'boolean') return undefined;
  if (typeof seq !== 'string' && !Array.isArray(seq)) return undefined;
  const n = Number(times);
  if (n * seq.length > MAX_LENGTH) throw new PyError('IterableTooLong', 'Sorry, I will not evaluate something that long.');
  const count = Math.max(0, n);
  budget.spend(count * seq.length, typeof seq === 'string' ? 2 : 8);
  if (typeof seq === 'string') return seq.repeat(count);
  const out: PyValue[] = [];
  for (let i = 0; i < count; i++) for (const item of seq) out.push(item);
  return out;
}

function mergeDicts(a: PyDict, b: PyDict, budget: Budget): PyDict {
  const out: PyDict = {};
  for (const source of [a, b]) for (const key of Object.keys(source)) setItem(out, key, source[key]!);
  budget.made(Object.keys(out).length, 8);
  return out;
}

function zeroDivision(what: string): PyError {
  return new PyError('ZeroDivisionError', what);
}

/** Steps for an operation on ints past 64 bits: their size in words, multiplied for * / % **. */
function intSteps(x: bigint, y: bigint, op: string, budget: Budget): void {
  const small = 2n ** 64n;
  if (x < small && x > -small && y < small && y > -small) return;
  const [wx, wy] = [bitLength(x) / 64 + 1, bitLength(y) / 64 + 1];
  budget.step(Math.ceil(op === '*' || op === '//' || op === '%' ? (wx * wy) / 16 : wx + wy));
}

function intOp(op: string, x: bigint, y: bigint, a: PyValue, b: PyValue, budget: Budget): PyValue {
  intSteps(x, y, op, budget);
  switch (op) {
    case '+':
      return bigInt(x + y);
    case '-':
      return bigInt(x - y);
    case '*':
      return bigInt(x * y);
    case '/':
      return intDivide(x, y);
    case '//':
    case '%': {
      if (y === 0n) throw zeroDivision('integer division or modulo by zero');
      let q = x / y;
      if (x % y !== 0n && x < 0n !== y < 0n) q -= 1n;
      return op === '//' ? q : x - q * y;
    }
    case '**':
      return intPower(x, y, budget);
    case '&':
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
    case '<<':
    case '>>':
      return shift(op, x, y);
    default:
      throw unsupported(op, a, b);
  }
}

function intPower(x: bigint, y: bigint, budget: Budget): PyValue {
  if (y < 0n) {
    if (x === 0n) throw zeroDivision('0.0 cannot be raised to a negative power');
    return floatPow(intToFloat(x), Number(y));
  }
  // Refused before it is computed: 4000000 ** 4000000 took seconds, and has 26 million digits.
  if (x !== 0n && x !== 1n && x !== -1n && bitLength(x) * Number(y) > MAX_INT_DIGITS * 3.33 + 64)
    throw tooHigh(`${x} ** ${y} (an int of more than ${MAX_INT_DIGITS.toLocaleString('en-US')} digits)`);
  budget.step(Math.ceil(((bitLength(x) * Number(y)) / 64) ** 2 / 16));
  return bigInt(x ** y);
}

function shift(op: string, x: bigint, y: bigint): bigint {
  if (y > BigInt(MAX_SHIFT) || y < -BigInt(MAX_SHIFT) || magnitude(x) > Number.MAX_VALUE) throw tooHigh(`${x} ${op} ${y}`);
  if (y < 0n) throw new PyError('ValueError', 'negative shift count');
  return op === '<<' ? bigInt(x << y) : x >> y;
}

function floatOp(op: string, x: number, y: number, a: PyValue, b: PyValue): number {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0) throw zeroDivision('float division by zero');
      return x / y;
    case '//':
      return floatFloorDiv(x, y);
    case '%':
      return floatMod(x, y);
    case '**':
      return floatPow(x, y);
    default:
      throw unsupported(op, a, b);
  }
}

/** Decimal arithmetic in Python's default context (decimal.ts). */
function decimalOp(op: string, x: Dec, y: Dec, a: PyValue, b: PyValue): Dec {
  switch (op) {
    case '+':
    case '-':
      return decAdd(x, y, op === '-');
    case '*':
      return decMul(x, y);
    case '/':
      return decDiv(x, y);
    case '//':
      return decFloorDiv(x, y);
    case '%':
      return decMod(x, y);
    case '**': {
      if (y.exp < 0 || y.coef === 0n ? y.coef !== 0n && y.exp < 0 : false)
        throw new PyError('FeatureNotAvailable', 'a Decimal to a fractional power is not supported');
      const power = decPow(x, y.coef * 10n ** BigInt(Math.max(0, y.exp)), MAX_INT_DIGITS);
      if (!power) throw tooHigh(`${x.toString()} ** ${y.toString()} (a Decimal of more than ${MAX_INT_DIGITS} digits)`);
      return power;
    }
    default:
      throw unsupported(op, a, b);
  }
}

/** The three-way order of two numbers, or undefined when one is nan. */
function compareNumbers(x: Num, y: Num): number | undefined {
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  if (typeof x === 'number' && typeof y === 'number') return x < y ? -1 : x > y ? 1 : x === y ? 0 : undefined;
  if (typeof x === 'number') return negate(compareNumbers(y, x));
  if (typeof y === 'number') return typeof x === 'bigint' ? compareIntFloat(x, y) : compareDecFloat(x, y);
  return decCompare(x instanceof Dec ? x : Dec.of(x), y instanceof Dec ? y : Dec.of(y));
}

function negate(c: number | undefined): number | undefined {
  return c === undefined ? undefined : -c;
}

/** Python's ==, element by element, at most MAX_VALUE_DEPTH deep. */
export function equal(a: PyValue, b: PyValue, budget?: Budget, depth = 0): boolean {
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return compareNumbers(x, y) === 0;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  // A container is equal to itself, as Python's comparison of elements takes the same object as equal.
  if (a === b && typeof a === 'object') return true;
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  if (Array.isArray(a) && Array.isArray(b)) {
    budget?.step(a.length >>> 3);
    return a.length === b.length && a.every((v, i) => same(v, b[i]!) || equal(v, b[i]!, budget, depth + 1));
  }
  if (a instanceof PyDate && b instanceof PyDate)
    return a.ms === b.ms && a.dateOnly === b.dateOnly && (a.offset === undefined) === (b.offset === undefined);
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    budget?.step(keys.length >>> 3);
    return (
      keys.length === Object.keys(b).length &&
      keys.every((k) => Object.hasOwn(b, k) && (same(a[k]!, b[k]!) || equal(a[k]!, b[k]!, budget, depth + 1)))
    );
  }
  return false;
}

/** a OP b for < <= > >=. */
export function order(op: string, a: PyValue, b: PyValue, budget?: Budget): boolean {
  const c = orderOf(op, a, b, budget, 0);
  if (c === undefined) return false;
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function orderOf(op: string, a: PyValue, b: PyValue, budget: Budget | undefined, depth: number): number | undefined {
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) {
    const c = compareNumbers(x, y);
    // Ordering a Decimal against nan is InvalidOperation in Python (== and != are not).
    if (c === undefined && (x instanceof Dec || y instanceof Dec))
      throw new PyError('decimal.InvalidOperation', "[<class 'decimal.InvalidOperation'>]");
    return c;
  }
  if (typeof a === 'string' && typeof b === 'string') {
    budget?.step(Math.min(a.length, b.length) >>> 6);
    return compareText(a, b);
  }
  if (a instanceof PyDate && b instanceof PyDate && a.dateOnly === b.dateOnly && (a.offset === undefined) === (b.offset === undefined))
    return Math.sign(a.ms - b.ms);
  if (Array.isArray(a) && Array.isArray(b)) return listOrder(op, a, b, budget, depth);
  throw new PyError('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
}

function listOrder(op: string, a: PyValue[], b: PyValue[], budget: Budget | undefined, depth: number): number | undefined {
  if (depth > MAX_VALUE_DEPTH) throw tooDeep();
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (equal(a[i]!, b[i]!, budget, depth + 1)) continue;
    return orderOf(op, a[i]!, b[i]!, budget, depth + 1);
  }
  return a.length - b.length;
}

export function contains(container: PyValue, item: PyValue, budget?: Budget): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new PyError('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
    budget?.step(container.length >>> 6);
    return container.includes(item);
  }
  if (Array.isArray(container)) {
    budget?.step(container.length >>> 3);
    return container.some((v) => equal(v, item, budget));
  }
  if (isDict(container)) {
    if (Array.isArray(item) || isDict(item)) throw new PyError('TypeError', `unhashable type: '${typeName(item)}'`);
    return typeof item === 'string' && Object.hasOwn(container, item);
  }
  throw new PyError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

export function unaryOp(op: string, value: PyValue): PyValue {
  if (op === 'not') return !truthy(value);
  const x = num(value);
  if (x === undefined) throw new PyError('TypeError', `bad operand type for unary ${op}: '${typeName(value)}'`);
  if (op === '~') {
    if (typeof x !== 'bigint') throw new PyError('TypeError', `bad operand type for unary ~: '${typeName(value)}'`);
    return ~x;
  }
  if (x instanceof Dec) return decUnary(x, op === '-');
  if (op === '+') return x;
  return typeof x === 'bigint' ? -x : -x;
}

/** Identity (`is`): None, booleans and equal small values compare as Python's singletons do. */
export function same(a: PyValue, b: PyValue): boolean {
  return a === b;
}
