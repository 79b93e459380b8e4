/**
 * JSON in and out of map expressions as the Meltano SDK does it: read with integers as ints and other
 * numbers as Decimals (singerlib's deserialize_json: parse_float=Decimal), so that a number's text
 * survives ("1.50" stays 1.50); written as simplejson writes it (singerlib's serialize_json: no spaces,
 * non-ASCII escaped as \uXXXX, Decimals as str(Decimal), NaN as null), which is the exact text of a
 * flattened property; or as the standard library's json.dumps, for json.dumps() in an expression.
 */
import { type Budget, MAX_VALUE_DEPTH, tooDeep, tooLong } from './limits.js';
import { compareText, Dec, floatRepr, intText, isDict, PyDate, PyError, typeName, type PyDict, type PyValue, setItem } from './values.js';

/** Parses JSON text (known to be valid: a record the tap wrote) into Python values: integers as bigint, other numbers as Dec. */
export function parseJson(text: string): PyValue {
  return new Reader(text).value();
}

/** A recursive-descent JSON reader that keeps each number's text (JSON.parse loses "1.50"). */
class Reader {
  private at = 0;
  constructor(private readonly text: string) {}

  value(): PyValue {
    this.space();
    switch (this.text.charCodeAt(this.at)) {
      case 0x7b: // {
        return this.object();
      case 0x5b: // [
        return this.array();
      case 0x22: // "
        return this.string();
      case 0x74: // t
        this.at += 4;
        return true;
      case 0x66: // f
        this.at += 5;
        return false;
      case 0x6e: // n
        this.at += 4;
        return null;
      case 0x4e: // N: NaN, which Python's json.loads reads (a record never holds it)
        this.at += 3;
        return NaN;
      case 0x49: // I: Infinity, likewise
        this.at += 8;
        return Infinity;
      default:
        return this.number();
    }
  }

  private object(): PyDict {
    const dict: PyDict = {};
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x7d) {
      this.at++;
      return dict;
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      this.at++; // ':'
      setItem(dict, key, this.value());
      this.space();
      if (this.text.charCodeAt(this.at++) === 0x7d) return dict;
    }
  }

  private array(): PyValue[] {
    const list: PyValue[] = [];
    this.at++;
    this.space();
    if (this.text.charCodeAt(this.at) === 0x5d) {
      this.at++;
      return list;
    }
    for (;;) {
      list.push(this.value());
      this.space();
      if (this.text.charCodeAt(this.at++) === 0x5d) return list;
    }
  }

  private string(): string {
    const start = this.at;
    let end = this.text.indexOf('"', start + 1);
    while (this.text.charCodeAt(end - 1) === 0x5c && escapedQuote(this.text, end)) end = this.text.indexOf('"', end + 1);
    this.at = end + 1;
    const backslash = this.text.indexOf('\\', start);
    return backslash >= 0 && backslash < end ? (JSON.parse(this.text.slice(start, end + 1)) as string) : this.text.slice(start + 1, end);
  }

  private number(): bigint | Dec | number {
    const start = this.at;
    if (this.text.startsWith('-Infinity', start)) {
      this.at += 9;
      return -Infinity;
    }
    let integer = true;
    for (;;) {
      const c = this.text.charCodeAt(this.at);
      if ((c >= 0x30 && c <= 0x39) || c === 0x2d) this.at++;
      else if (c === 0x2e || c === 0x65 || c === 0x45 || c === 0x2b) {
        integer = false;
        this.at++;
      } else break;
    }
    const found = this.text.slice(start, this.at);
    return integer ? BigInt(found) : Dec.parse(found);
  }

  private space(): void {
    for (let c = this.text.charCodeAt(this.at); c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09; c = this.text.charCodeAt(this.at))
      this.at++;
  }
}

/** Whether the quote at `end` is escaped: an odd run of backslashes before it. */
function escapedQuote(text: string, end: number): boolean {
  let slashes = 0;
  while (text[end - 1 - slashes] === '\\') slashes++;
  return slashes % 2 === 1;
}

function fromJs(value: unknown): PyValue {
  if (Array.isArray(value)) return value.map(fromJs);
  if (typeof value === 'number') return fromNumber(value);
  if (typeof value === 'object' && value !== null) {
    const dict: PyDict = {};
    for (const [k, v] of Object.entries(value)) setItem(dict, k, fromJs(v));
    return dict;
  }
  return value as PyValue;
}

/** A JS number as the SDK would have read its JSON text (JSON.stringify's): an int, or a Decimal. */
function fromNumber(value: number): bigint | Dec {
  const text = JSON.stringify(value);
  return /[.eE]/.test(text) ? Dec.parse(text) : BigInt(text);
}

/** A record the tap holds as JS values, as the SDK reads the line the tap writes of it. */
export function fromRecord(value: unknown): PyValue {
  return fromJs(value);
}

const ESCAPES: Record<string, string> = { '"': '\\"', '\\': '\\\\', '\n': '\\n', '\r': '\\r', '\t': '\\t', '\b': '\\b', '\f': '\\f' };

/** A JSON string; `ascii`: every character beyond printable ASCII as \uXXXX (Python's ensure_ascii). */
const PLAIN_ASCII = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
// eslint-disable-next-line no-control-regex -- control characters are what JSON must escape
const PLAIN_UTF8 = /^[^"\\\u0000-\u001f]*$/;

export function quote(text: string, ascii: boolean): string {
  if ((ascii ? PLAIN_ASCII : PLAIN_UTF8).test(text)) return `"${text}"`;
  // eslint-disable-next-line no-control-regex -- control characters are what JSON must escape
  const pattern = ascii ? /["\\]|[^\x20-\x7e]/g : /["\\\u0000-\u001f]/g;
  return `"${text.replace(pattern, (ch) => ESCAPES[ch] ?? `\\u${ch.charCodeAt(0).toString(16).padStart(4, '0')}`)}"`;
}

export interface DumpOptions {
  /** Python's ensure_ascii. */
  ascii: boolean;
  /** Item and key separators: simplejson's compact (",", ":") or json.dumps' (", ", ": "). */
  item: string;
  key: string;
  /** simplejson's use_decimal (and its default= str for anything else); json.dumps refuses a Decimal. */
  decimals: boolean;
  /** simplejson's ignore_nan: NaN and infinities as null; json.dumps writes NaN, Infinity. */
  nanAsNull: boolean;
  /** json.dumps(default=...): what to write for a value JSON has no form for; undefined: a TypeError. */
  fallback?: (value: PyValue) => PyValue;
  /** json.dumps(sort_keys=True). */
  sortKeys?: boolean;
  /** The longest text an expression's json.dumps may make (IterableTooLong past it); values are then at most MAX_VALUE_DEPTH deep. */
  limit?: number;
  /** What an expression's json.dumps spends: two steps an element. */
  budget?: Budget;
}

/** singerlib's serialize_json: the exact text of a flattened property. */
export const SIMPLEJSON: DumpOptions = { ascii: true, item: ',', key: ':', decimals: true, nanAsNull: true };
/** A RECORD line: serialize_json's values, non-ASCII written as UTF-8 (as the tap writes every line). */
export const RECORD_JSON: DumpOptions = { ...SIMPLEJSON, ascii: false };
/** The standard library's json.dumps with its defaults. */
export const PY_DUMPS: DumpOptions = { ascii: true, item: ', ', key: ': ', decimals: false, nanAsNull: false };

export function dumps(value: PyValue, options: DumpOptions): string {
  if (options.limit === undefined && options.sortKeys !== true) return plainDumps(value, options);
  const out = { text: '', limit: options.limit ?? Infinity };
  boundedDumps(out, value, options, 0);
  return out.text;
}

/** dumps() of a record: no bound but the record's own size. */
function plainDumps(value: PyValue, options: DumpOptions): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatText(value, options);
  if (typeof value === 'string') return quote(value, options.ascii);
  if (Array.isArray(value)) {
    let text = '[';
    for (let i = 0; i < value.length; i++) text += (i > 0 ? options.item : '') + plainDumps(value[i]!, options);
    return text + ']';
  }
  if (isDict(value)) {
    let text = '{';
    let first = true;
    for (const key in value) {
      text += (first ? '' : options.item) + quote(key, options.ascii) + options.key + plainDumps(value[key]!, options);
      first = false;
    }
    return text + '}';
  }
  if (value instanceof Dec && options.decimals) return value.toString();
  // simplejson's default=: a datetime as isoformat(sep="T"), anything else as str().
  if (options.decimals && value instanceof PyDate) return quote(value.isoformat(), options.ascii);
  if (options.fallback) return plainDumps(options.fallback(value), options);
  throw new PyError('TypeError', `Object of type ${typeName(value).replace(/^.*\./, '')} is not JSON serializable`);
}

function floatText(value: number, options: DumpOptions): string {
  if (Number.isFinite(value)) return floatRepr(value);
  if (options.nanAsNull) return 'null';
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}

interface Out {
  text: string;
  limit: number;
}

function add(out: Out, piece: string): void {
  if (out.text.length + piece.length > out.limit) throw tooLong('a text that long');
  out.text += piece;
}

/** dumps() for json.dumps() in an expression: the text bounded, the depth bounded, keys sorted on demand. */
function boundedDumps(out: Out, value: PyValue, options: DumpOptions, depth: number): void {
  if (!Array.isArray(value) && !isDict(value)) {
    if (value instanceof Dec || value instanceof PyDate || typeof value === 'bigint') {
      if (typeof value === 'bigint') {
        add(out, intText(value));
        return;
      }
      if (!(value instanceof Dec && options.decimals) && options.fallback) {
        boundedDumps(out, options.fallback(value), options, depth);
        return;
      }
    }
    {
      add(out, plainDumps(value, options));
      return;
    }
  }
  if (depth >= MAX_VALUE_DEPTH) throw tooDeep();
  options.budget?.step(2 * (Array.isArray(value) ? value.length : Object.keys(value).length));
  if (Array.isArray(value)) {
    add(out, '[');
    value.forEach((item, i) => {
      if (i > 0) add(out, options.item);
      boundedDumps(out, item, options, depth + 1);
    });
    {
      add(out, ']');
      return;
    }
  }
  const keys = Object.keys(value);
  if (options.sortKeys) keys.sort(compareText);
  add(out, '{');
  keys.forEach((key, i) => {
    add(out, (i > 0 ? options.item : '') + quote(key, options.ascii) + options.key);
    boundedDumps(out, value[key]!, options, depth + 1);
  });
  add(out, '}');
}
