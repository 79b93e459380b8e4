/**
 * Python's operators on map values (values.ts): arithmetic with int, float and Decimal as Python mixes
 * them (a Decimal and a float do not mix: a TypeError, as in the SDK), comparisons, `in`, equality.
 */
import { Dec, isDict, PyDate, PyError, truthy, typeName, type PyValue } from './values.js';

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

/**
 * simpleeval's bounds (MAX_STRING_LENGTH, MAX_POWER, MAX_SHIFT): an expression may not build a string or
 * a list longer than 100,000, raise to a power over 4,000,000 or shift by more than 10,000, so that a map
 * cannot hang the tap or fill its memory; the SDK refuses the same expressions.
 */
export const MAX_LENGTH = 100_000;
const MAX_POWER = 4_000_000;
const MAX_SHIFT = 10_000;

function tooLong(): PyError {
  return new PyError('IterableTooLong', 'Sorry, I will not evaluate something that long.');
}

function abs(value: Num): number {
  return Math.abs(value instanceof Dec ? value.toNumber() : Number(value));
}

export function binaryOp(op: string, a: PyValue, b: PyValue): PyValue {
  if (op === '+') {
    const both = (typeof a === 'string' && typeof b === 'string') || (Array.isArray(a) && Array.isArray(b));
    if (both && a.length + b.length > MAX_LENGTH) throw tooLong();
    if (typeof a === 'string' && typeof b === 'string') return a + b;
    if (Array.isArray(a) && Array.isArray(b)) return [...a, ...b];
  }
  if (op === '*') {
    const repeat = sequenceRepeat(a, b) ?? sequenceRepeat(b, a);
    if (repeat !== undefined) return repeat;
  }
  if (op === '%' && typeof a === 'string') return percentFormat(a, b);
  const x = num(a);
  const y = num(b);
  if (x === undefined || y === undefined) throw unsupported(op, a, b);
  if (op === '**' && (abs(x) > MAX_POWER || abs(y) > MAX_POWER))
    throw new PyError('NumberTooHigh', `Sorry! I don't want to evaluate ${String(x)} ** ${String(y)}`);
  if ((op === '<<' || op === '>>') && abs(y) > MAX_SHIFT)
    throw new PyError('NumberTooHigh', `Sorry! I don't want to evaluate ${String(x)} ${op} ${String(y)}`);
  if (x instanceof Dec || y instanceof Dec) {
    if (typeof x === 'number' || typeof y === 'number') throw unsupported(op, a, b);
    return decimalOp(op, x instanceof Dec ? x : Dec.of(x), y instanceof Dec ? y : Dec.of(y), a, b);
  }
  if (typeof x === 'bigint' && typeof y === 'bigint') return intOp(op, x, y, a, b);
  return floatOp(op, Number(x), Number(y), a, b);
}

function sequenceRepeat(seq: PyValue, times: PyValue): PyValue | undefined {
  if (typeof times !== 'bigint' && typeof times !== 'boolean') return undefined;
  const n = Math.max(0, Number(times));
  if ((typeof seq === 'string' || Array.isArray(seq)) && n * seq.length > MAX_LENGTH) throw tooLong();
  if (typeof seq === 'string') return seq.repeat(n);
  if (Array.isArray(seq)) return Array.from({ length: n }, () => seq).flat(1);
  return undefined;
}

function zeroDivision(what: string): PyError {
  return new PyError('ZeroDivisionError', what);
}

function intOp(op: string, x: bigint, y: bigint, a: PyValue, b: PyValue): PyValue {
  switch (op) {
    case '+':
      return x + y;
    case '-':
      return x - y;
    case '*':
      return x * y;
    case '/':
      if (y === 0n) throw zeroDivision('division by zero');
      return Number(x) / Number(y);
    case '//':
    case '%': {
      if (y === 0n) throw zeroDivision('integer division or modulo by zero');
      let q = x / y;
      if (x % y !== 0n && x < 0n !== y < 0n) q -= 1n;
      return op === '//' ? q : x - q * y;
    }
    case '**':
      return y >= 0n ? x ** y : Number(x) ** Number(y);
    case '&':
      return x & y;
    case '|':
      return x | y;
    case '^':
      return x ^ y;
    case '<<':
      return x << y;
    case '>>':
      return x >> y;
    default:
      throw unsupported(op, a, b);
  }
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
      if (y === 0) throw zeroDivision('float floor division by zero');
      return Math.floor(x / y);
    case '%':
      if (y === 0) throw zeroDivision('float modulo');
      return ((x % y) + y) % y;
    case '**':
      return x ** y;
    default:
      throw unsupported(op, a, b);
  }
}

/** Decimal arithmetic: exact for + - * (well within the 28 digits of Python's context for record values). */
function decimalOp(op: string, x: Dec, y: Dec, a: PyValue, b: PyValue): Dec {
  if (op === '*') return new Dec(x.coef * y.coef, x.exp + y.exp);
  if (op === '+' || op === '-') {
    const [p, q, exp] = Dec.align(x, y);
    return new Dec(op === '+' ? p + q : p - q, exp);
  }
  if (op === '/') return decimalDivide(x, y);
  throw unsupported(op, a, b);
}

/** Decimal division at Python's default precision (28 digits, half-even), exact results at their ideal exponent. */
function decimalDivide(x: Dec, y: Dec): Dec {
  if (y.coef === 0n) throw new PyError('decimal.DivisionByZero', "[<class 'decimal.DivisionByZero'>]");
  const negative = x.coef < 0n !== y.coef < 0n;
  const n = x.coef < 0n ? -x.coef : x.coef;
  const d = y.coef < 0n ? -y.coef : y.coef;
  const ideal = x.exp - y.exp;
  const shift = Math.max(0, 28 + d.toString().length - n.toString().length + 1);
  let q = (n * 10n ** BigInt(shift)) / d;
  const exact = (n * 10n ** BigInt(shift)) % d === 0n;
  let exp = ideal - shift;
  if (exact) {
    while (exp < ideal && q % 10n === 0n && q !== 0n) {
      q /= 10n;
      exp++;
    }
  }
  while (q.toString().length > 28) {
    const last = q % 10n;
    q /= 10n;
    exp++;
    if (last > 5n || (last === 5n && q % 2n === 1n) || (last === 5n && !exact)) q += 1n;
  }
  return new Dec(negative ? -q : q, exp);
}

function percentFormat(format: string, args: PyValue): string {
  const values = Array.isArray(args) ? args : [args];
  let i = 0;
  return format.replace(/%([sdr%])/g, (_, code: string) => {
    if (code === '%') return '%';
    const value = values[i++];
    if (value === undefined) throw new PyError('TypeError', 'not enough arguments for format string');
    if (code === 'd') return String(num(value) instanceof Dec ? (value as Dec).toString().split('.')[0] : Math.trunc(Number(num(value))));
    return code === 'r' ? JSON.stringify(value) : toStr(value);
  });
}

let toStr: (value: PyValue) => string = String;
/** str() for '%s' (set by evaluate.ts, which owns it, to keep the modules acyclic). */
export function setStr(fn: (value: PyValue) => string): void {
  toStr = fn;
}

export function equal(a: PyValue, b: PyValue): boolean {
  const x = num(a);
  const y = num(b);
  if (x !== undefined && y !== undefined) return compareNumbers(x, y) === 0;
  if (typeof a === 'string' || typeof b === 'string' || a === null || b === null) return a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((v, i) => equal(v, b[i]!));
  if (a instanceof PyDate && b instanceof PyDate) return a.ms === b.ms && a.dateOnly === b.dateOnly;
  if (isDict(a) && isDict(b)) {
    const keys = Object.keys(a);
    return keys.length === Object.keys(b).length && keys.every((k) => k in b && equal(a[k]!, b[k]!));
  }
  return false;
}

function compareNumbers(x: Num, y: Num): number {
  if (typeof x === 'bigint' && typeof y === 'bigint') return x < y ? -1 : x > y ? 1 : 0;
  if (x instanceof Dec || y instanceof Dec) {
    if (typeof x !== 'number' && typeof y !== 'number') {
      const [p, q] = Dec.align(x instanceof Dec ? x : Dec.of(x), y instanceof Dec ? y : Dec.of(y));
      return p < q ? -1 : p > q ? 1 : 0;
    }
  }
  const p = x instanceof Dec ? x.toNumber() : Number(x);
  const q = y instanceof Dec ? y.toNumber() : Number(y);
  return p < q ? -1 : p > q ? 1 : 0;
}

/** a OP b for < <= > >=. */
export function order(op: string, a: PyValue, b: PyValue): boolean {
  const x = num(a);
  const y = num(b);
  let c: number;
  if (x !== undefined && y !== undefined) c = compareNumbers(x, y);
  else if (typeof a === 'string' && typeof b === 'string') c = a < b ? -1 : a > b ? 1 : 0;
  else if (a instanceof PyDate && b instanceof PyDate) c = Math.sign(a.ms - b.ms);
  else if (Array.isArray(a) && Array.isArray(b)) c = listOrder(a, b);
  else throw new PyError('TypeError', `'${op}' not supported between instances of '${typeName(a)}' and '${typeName(b)}'`);
  return op === '<' ? c < 0 : op === '<=' ? c <= 0 : op === '>' ? c > 0 : c >= 0;
}

function listOrder(a: PyValue[], b: PyValue[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (equal(a[i]!, b[i]!)) continue;
    return order('<', a[i]!, b[i]!) ? -1 : 1;
  }
  return a.length - b.length;
}

export function contains(container: PyValue, item: PyValue): boolean {
  if (typeof container === 'string') {
    if (typeof item !== 'string') throw new PyError('TypeError', `'in <string>' requires string as left operand, not ${typeName(item)}`);
    return container.includes(item);
  }
  if (Array.isArray(container)) return container.some((v) => equal(v, item));
  if (isDict(container)) return typeof item === 'string' && item in container;
  throw new PyError('TypeError', `argument of type '${typeName(container)}' is not iterable`);
}

export function unaryOp(op: string, value: PyValue): PyValue {
  if (op === 'not') return !truthy(value);
  const x = num(value);
  if (x === undefined) throw new PyError('TypeError', `bad operand type for unary ${op}: '${typeName(value)}'`);
  if (op === '+') return x;
  if (op === '~') {
    if (typeof x !== 'bigint') throw new PyError('TypeError', `bad operand type for unary ~: '${typeName(value)}'`);
    return ~x;
  }
  if (x instanceof Dec) return new Dec(-x.coef, x.exp);
  return typeof x === 'bigint' ? -x : -x;
}

/** Identity (`is`): None, booleans and equal small values compare as Python's singletons do. */
export function same(a: PyValue, b: PyValue): boolean {
  if (a === null || b === null || typeof a === 'boolean' || typeof b === 'boolean') return a === b;
  return a === b;
}
