/**
 * JSON in and out of map expressions as the Meltano SDK does it: read with integers as ints and other
 * numbers as Decimals (singerlib's deserialize_json: parse_float=Decimal), so that a number's text
 * survives ("1.50" stays 1.50); written as simplejson writes it (singerlib's serialize_json: no spaces,
 * non-ASCII escaped as \uXXXX, Decimals as str(Decimal), NaN as null), which is the exact text of a
 * flattened property; or as the standard library's json.dumps, for json.dumps() in an expression.
 */
import { Dec, floatRepr, isDict, PyDate, PyError, typeName, type PyDict, type PyValue } from './values.js';

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
    const ch = this.text[this.at];
    if (ch === '{') return this.object();
    if (ch === '[') return this.array();
    if (ch === '"') return this.string();
    if (ch === 't' || ch === 'f' || ch === 'n') {
      const word = ch === 't' ? 'true' : ch === 'f' ? 'false' : 'null';
      this.at += word.length;
      return word === 'null' ? null : word === 'true';
    }
    return this.number();
  }

  private object(): PyDict {
    const dict: PyDict = {};
    this.at++;
    this.space();
    if (this.text[this.at] === '}') {
      this.at++;
      return dict;
    }
    for (;;) {
      this.space();
      const key = this.string();
      this.space();
      this.at++; // ':'
      dict[key] = this.value();
      this.space();
      if (this.text[this.at++] === '}') return dict;
    }
  }

  private array(): PyValue[] {
    const list: PyValue[] = [];
    this.at++;
    this.space();
    if (this.text[this.at] === ']') {
      this.at++;
      return list;
    }
    for (;;) {
      list.push(this.value());
      this.space();
      if (this.text[this.at++] === ']') return list;
    }
  }

  private string(): string {
    const start = this.at;
    let end = this.text.indexOf('"', start + 1);
    while (this.text[end - 1] === '\\' && escapedQuote(this.text, end)) end = this.text.indexOf('"', end + 1);
    this.at = end + 1;
    const raw = this.text.slice(start, end + 1);
    return raw.includes('\\') ? (JSON.parse(raw) as string) : raw.slice(1, -1);
  }

  private number(): bigint | Dec {
    const match = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;
    match.lastIndex = this.at;
    const found = match.exec(this.text)![0];
    this.at += found.length;
    return found.includes('.') || /[eE]/.test(found) ? Dec.parse(found) : BigInt(found);
  }

  private space(): void {
    while (/\s/.test(this.text[this.at] ?? '')) this.at++;
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
    for (const [k, v] of Object.entries(value)) dict[k] = fromJs(v);
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
export function quote(text: string, ascii: boolean): string {
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
}

/** singerlib's serialize_json: the exact text of a flattened property. */
export const SIMPLEJSON: DumpOptions = { ascii: true, item: ',', key: ':', decimals: true, nanAsNull: true };
/** A RECORD line: serialize_json's values, non-ASCII written as UTF-8 (as the tap writes every line). */
export const RECORD_JSON: DumpOptions = { ...SIMPLEJSON, ascii: false };
/** The standard library's json.dumps with its defaults. */
export const PY_DUMPS: DumpOptions = { ascii: true, item: ', ', key: ': ', decimals: false, nanAsNull: false };

export function dumps(value: PyValue, options: DumpOptions): string {
  if (value === null) return 'null';
  if (typeof value === 'boolean') return value ? 'true' : 'false';
  if (typeof value === 'bigint') return value.toString();
  if (typeof value === 'number') return floatText(value, options);
  if (typeof value === 'string') return quote(value, options.ascii);
  if (Array.isArray(value)) return `[${value.map((v) => dumps(v, options)).join(options.item)}]`;
  if (isDict(value))
    return `{${Object.entries(value)
      .map(([k, v]) => `${quote(k, options.ascii)}${options.key}${dumps(v, options)}`)
      .join(options.item)}}`;
  if (value instanceof Dec && options.decimals) return value.toString();
  // simplejson's default=: a datetime as isoformat(sep="T"), anything else as str().
  if (options.decimals && value instanceof PyDate) return quote(value.isoformat(), options.ascii);
  if (options.fallback) return dumps(options.fallback(value), options);
  throw new PyError('TypeError', `Object of type ${typeName(value).replace(/^.*\./, '')} is not JSON serializable`);
}

function floatText(value: number, options: DumpOptions): string {
  if (Number.isFinite(value)) return floatRepr(value);
  if (options.nanAsNull) return 'null';
  return Number.isNaN(value) ? 'NaN' : value > 0 ? 'Infinity' : '-Infinity';
}
