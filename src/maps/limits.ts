/**
 * The bounds of map expressions, and the budget each record's map spends. simpleeval's bounds (a string
 * or list of 100,000, a power of 4,000,000, a shift of 10,000, a comprehension of 10,000 elements) hold
 * for every way to build a value here, not only for `+` and `*`; and every evaluation runs under a budget
 * counted in steps and bytes (never in time, so that the same record always gives the same answer): a
 * step is a node of the expression evaluated, or 64 characters or 8 elements scanned or copied by a
 * function; a byte is what the values an expression makes take (2 a character, 8 an element). The
 * sources of expressions are bounded too (their length, their nesting), when the maps are built.
 */

/** An error of the expression itself at run time, with Python's wording (TypeError, KeyError...). */
export class PyError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}

/** simpleeval's MAX_STRING_LENGTH: the longest string or list an expression may make. */
export const MAX_LENGTH = 100_000;
/** simpleeval's MAX_POWER: the largest operand of `**`. */
export const MAX_POWER = 4_000_000;
/** simpleeval's MAX_SHIFT: the largest shift of `<<` and `>>`. */
export const MAX_SHIFT = 10_000;
/** simpleeval's MAX_COMPREHENSION_LENGTH: the elements the comprehensions of one evaluation may visit. */
export const MAX_COMPREHENSION = 10_000;
/** Python's int_max_str_digits: an int of more digits cannot be written (str, JSON), so none is made. */
export const MAX_INT_DIGITS = 4300;
/** The steps one record's map may take (its filter and its properties together). */
export const MAX_STEPS = 1_000_000;
/** The bytes the values of one record's map may take, all together (garbage included). */
export const MAX_BYTES = 16_000_000;
/** The deepest a value may be to be written, compared or copied (Python's recursion limit is 1,000). */
export const MAX_VALUE_DEPTH = 900;
/** The longest expression source. */
export const MAX_SOURCE_LENGTH = 100_000;
/** The deepest an expression may nest (brackets, operators): Python's parser allows 200 parentheses. */
export const MAX_NESTING = 200;

/** The steps of scanning or copying `n` characters. */
export function charSteps(n: number): number {
  return n >>> 6;
}

/** The steps of scanning or copying `n` elements. */
export function itemSteps(n: number): number {
  return n >>> 3;
}

export function tooLong(what = 'something that long'): PyError {
  return new PyError('IterableTooLong', `Sorry, I will not evaluate ${what} (over ${MAX_LENGTH.toLocaleString('en-US')} elements).`);
}

export function tooDeep(): PyError {
  return new PyError('RecursionError', `maximum recursion depth exceeded (a value nested over ${MAX_VALUE_DEPTH} levels)`);
}

const STEPS_TEXT = MAX_STEPS.toLocaleString('en-US');

/** The budget of one record's map: steps and bytes, spent as the expressions run. */
export class Budget {
  steps = 0;
  bytes = 0;

  /** `n` more steps. */
  step(n: number): void {
    if ((this.steps += n) > MAX_STEPS) throw this.exceeded();
  }

  /** A new string or list of `length` characters or elements (bounded by MAX_LENGTH), `unit` bytes each. */
  made(length: number, unit: number): void {
    if (length > MAX_LENGTH) throw tooLong();
    this.spend(length, unit);
  }

  /** A new value of `length` characters or elements that MAX_LENGTH does not bound (a copy of what the record holds). */
  spend(length: number, unit: number): void {
    this.steps += unit === 2 ? charSteps(length) : itemSteps(length);
    this.bytes += length * unit;
    if (this.steps > MAX_STEPS || this.bytes > MAX_BYTES) throw this.exceeded();
  }

  exceeded(): PyError {
    if (this.bytes > MAX_BYTES)
      return new PyError('BudgetExceeded', `the map made over ${MAX_BYTES / 1_000_000} MB of values for this record (tap-crm's bound)`);
    return new PyError('BudgetExceeded', `the map took over ${STEPS_TEXT} steps on this record (tap-crm's bound)`);
  }
}
