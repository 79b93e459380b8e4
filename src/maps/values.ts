/**
 * The values of map expressions, modelled on the Python values the Meltano SDK's mapper computes with, so
 * that the same expression gives the same output: a JSON integer is a Python int (here a bigint), a JSON
 * number with a fraction or an exponent a decimal.Decimal (the SDK parses with parse_float=Decimal: `Dec`
 * here, which keeps "1.50" as it was sent), float() a Python float (a JS number). Strings, booleans, null,
 * arrays (lists and tuples alike) and plain objects (dicts) are themselves.
 */
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

/** An error of the expression itself at run time, with Python's wording (TypeError, KeyError...). */
export class PyError extends Error {
  constructor(
    readonly kind: string,
    message: string,
  ) {
    super(`${kind}: ${message}`);
  }
}

/** A decimal.Decimal: coefficient × 10^exp, exact (only what a JSON number can say: no NaN). */
export class Dec {
  constructor(
    readonly coef: bigint,
    readonly exp: number,
  ) {}

  static parse(text: string): Dec {
    const match = /^(-?)(\d*)(?:\.(\d*))?(?:[eE]([+-]?\d+))?$/.exec(text);
    if (!match) throw new PyError('decimal.InvalidOperation', `[<class 'decimal.ConversionSyntax'>]`);
    const [, sign = '', whole = '', fraction = '', exponent = '0'] = match;
    const coef = BigInt(`${sign}${whole}${fraction}` || '0');
    return new Dec(coef, Number(exponent) - fraction.length);
  }

  static of(value: bigint): Dec {
    return new Dec(value, 0);
  }

  /** Python's str(Decimal): the to-scientific-string of the General Decimal Arithmetic spec. */
  toString(): string {
    const negative = this.coef < 0n;
    const digits = (negative ? -this.coef : this.coef).toString();
    const adjusted = this.exp + digits.length - 1;
    let text: string;
    if (this.exp <= 0 && adjusted >= -6) {
      const point = digits.length + this.exp;
      text = this.exp === 0 ? digits : point > 0 ? `${digits.slice(0, point)}.${digits.slice(point)}` : `0.${'0'.repeat(-point)}${digits}`;
    } else {
      const rest = digits.length > 1 ? `.${digits.slice(1)}` : '';
      text = `${digits[0]!}${rest}E${adjusted >= 0 ? '+' : ''}${adjusted}`;
    }
    return negative ? `-${text}` : text;
  }

  toNumber(): number {
    return Number(this.toString());
  }

  /** Both coefficients at the smaller exponent. */
  static align(a: Dec, b: Dec): [bigint, bigint, number] {
    const exp = Math.min(a.exp, b.exp);
    return [a.coef * 10n ** BigInt(a.exp - exp), b.coef * 10n ** BigInt(b.exp - exp), exp];
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

  /** isoformat(): "2024-01-02" or "2024-01-02T03:04:05[.ffffff][+00:00]". */
  isoformat(): string {
    const iso = new Date(this.ms + (this.offset ?? 0) * 60000).toISOString();
    if (this.dateOnly) return iso.slice(0, 10);
    const ms = iso.slice(20, 23);
    const base = iso.slice(0, 19) + (ms === '000' ? '' : `.${ms}000`);
    if (this.offset === undefined) return base;
    const sign = this.offset < 0 ? '-' : '+';
    const abs = Math.abs(this.offset);
    return `${base}${sign}${String(Math.floor(abs / 60)).padStart(2, '0')}:${String(abs % 60).padStart(2, '0')}`;
  }
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
  if (typeof value === 'number') return value !== 0;
  if (typeof value === 'string') return value.length > 0;
  if (value instanceof Dec) return value.coef !== 0n;
  if (value instanceof PyDate) return true;
  if (Array.isArray(value)) return value.length > 0;
  return Object.keys(value).length > 0;
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

/** repr(str): single quotes unless the text holds one and no double quote, escapes as Python writes them. */
export function strRepr(text: string): string {
  const quote = text.includes("'") && !text.includes('"') ? '"' : "'";
  let out = quote;
  for (const ch of text) {
    const code = ch.codePointAt(0)!;
    if (ch === quote || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (code < 0x20 || code === 0x7f) out += `\\x${code.toString(16).padStart(2, '0')}`;
    else out += ch;
  }
  return out + quote;
}

/** Python's repr() of a value. */
export function repr(value: PyValue): string {
  if (typeof value === 'string') return strRepr(value);
  if (value instanceof Dec) return `Decimal('${value.toString()}')`;
  if (value instanceof PyDate) return `datetime.${value.dateOnly ? 'date' : 'datetime'}(${value.isoformat()})`;
  if (Array.isArray(value)) return `[${value.map(repr).join(', ')}]`;
  if (isDict(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${strRepr(k)}: ${repr(v)}`)
      .join(', ')}}`;
  return str(value);
}

/** Python's str() of a value. */
export function str(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'boolean') return value ? 'True' : 'False';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatRepr(value);
  if (typeof value === 'string') return value;
  if (value instanceof Dec) return value.toString();
  if (value instanceof PyDate) return value.dateOnly ? value.isoformat() : value.isoformat().replace('T', ' ');
  return repr(value);
}
