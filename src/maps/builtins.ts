/**
 * The functions and methods map expressions may call: the SDK's (md5, sha256, datetime, bool, json) and
 * simpleeval's defaults (int, float, str), and the methods of strings, dicts and lists that expressions
 * use (`email.split('@')[-1]`, `record.get('x', 'y')`). No other function exists: `len`, `open`,
 * `__import__`... are unknown names, as in the SDK.
 */
import { createHash } from 'node:crypto';
import { dumps, parseJson, PY_DUMPS } from './pyjson.js';
import { Dec, isDict, PyDate, PyError, setItem, str, truthy, typeName, type PyDict, type PyValue } from './values.js';

/** A callable value: positional and keyword arguments. */
export class PyFunction {
  constructor(
    readonly name: string,
    readonly call: (args: PyValue[], kwargs: Record<string, PyValue>) => PyValue,
  ) {}
}

/** A module or class namespace (json, datetime, datetime.datetime). */
export class PyNamespace {
  constructor(
    readonly name: string,
    readonly members: Record<string, PyFunction | PyNamespace>,
  ) {}
}

export type Callable = PyFunction | PyNamespace;

function digest(algorithm: 'md5' | 'sha256') {
  return new PyFunction(algorithm, ([value]) => {
    if (typeof value !== 'string') throw new PyError('AttributeError', `'${typeName(value ?? null)}' object has no attribute 'encode'`);
    return createHash(algorithm).update(value, 'utf8').digest('hex');
  });
}

function toInt([value = 0n, base]: PyValue[]): PyValue {
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new PyError(Number.isNaN(value) ? 'ValueError' : 'OverflowError', 'cannot convert float to integer');
    return BigInt(Math.trunc(value));
  }
  if (value instanceof Dec) return value.exp >= 0 ? value.coef * 10n ** BigInt(value.exp) : value.coef / 10n ** BigInt(-value.exp);
  if (typeof value === 'string') {
    const radix = base === undefined ? 10 : Number(base);
    const text = value.trim().replace(/_/g, '');
    const valid = radix === 10 ? /^[+-]?\d+$/ : /^[+-]?[0-9a-z]+$/i;
    if (!valid.test(text) || Number.isNaN(parseInt(text, radix)))
      throw new PyError('ValueError', `invalid literal for int() with base ${radix}: ${JSON.stringify(value).replace(/^"|"$/g, "'")}`);
    return radix === 10 ? BigInt(text) : BigInt(parseInt(text, radix));
  }
  throw new PyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(value)}'`);
}

function toFloat([value = 0]: PyValue[]): PyValue {
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint' || typeof value === 'boolean') return Number(value);
  if (value instanceof Dec) return value.toNumber();
  if (typeof value === 'string') {
    const text = value.trim().toLowerCase().replace(/_/g, '');
    if (/^[+-]?(nan|inf|infinity)$/.test(text)) return text.includes('nan') ? NaN : text.startsWith('-') ? -Infinity : Infinity;
    if (/^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/.test(text)) return Number(text);
    throw new PyError('ValueError', `could not convert string to float: '${value}'`);
  }
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${typeName(value)}'`);
}

const jsonModule = new PyNamespace('json', {
  dumps: new PyFunction('dumps', ([value = null], kwargs) => {
    const fallback = kwargs.default;
    return dumps(value, {
      ...PY_DUMPS,
      fallback: fallback instanceof PyFunction ? (v) => fallback.call([v], {}) : undefined,
    });
  }),
  loads: new PyFunction('loads', ([text]) => {
    if (typeof text !== 'string')
      throw new PyError('TypeError', `the JSON object must be str, bytes or bytearray, not ${typeName(text ?? null)}`);
    try {
      JSON.parse(text);
    } catch (error) {
      throw new PyError('json.decoder.JSONDecodeError', (error as Error).message);
    }
    return parseJson(text);
  }),
});

function fromIso(dateOnly: boolean) {
  return new PyFunction('fromisoformat', ([text]) => {
    if (typeof text !== 'string') throw new PyError('TypeError', `fromisoformat: argument must be str`);
    const match = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d{1,6}))?)?(Z|[+-]\d{2}:\d{2})?)?$/.exec(text);
    if (!match || (dateOnly && match[4] !== undefined)) throw new PyError('ValueError', `Invalid isoformat string: '${text}'`);
    const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = match;
    const offset =
      zone === undefined
        ? undefined
        : zone === 'Z'
          ? 0
          : (zone.startsWith('-') ? -1 : 1) * (Number(zone.slice(1, 3)) * 60 + Number(zone.slice(4)));
    const local = Date.UTC(Number(y), Number(mo) - 1, Number(d), Number(h), Number(mi), Number(s), Number(frac.padEnd(3, '0').slice(0, 3)));
    return new PyDate(local - (offset ?? 0) * 60000, dateOnly, dateOnly ? undefined : offset);
  });
}

function construct(dateOnly: boolean) {
  return new PyFunction(dateOnly ? 'date' : 'datetime', (args, kwargs) => {
    const [y, mo, d, h = 0n, mi = 0n, s = 0n, us = 0n] = args.map((a) => Number(toInt([a])));
    const offset = kwargs.tzinfo === undefined || kwargs.tzinfo === null ? undefined : 0;
    return new PyDate(Date.UTC(y!, mo! - 1, d, Number(h), Number(mi), Number(s), Math.floor(Number(us) / 1000)), dateOnly, offset);
  });
}

const datetimeModule = new PyNamespace('datetime', {
  datetime: new PyNamespace('datetime.datetime', { fromisoformat: fromIso(false), __call__: construct(false) }),
  date: new PyNamespace('datetime.date', { fromisoformat: fromIso(true), __call__: construct(true) }),
  timezone: new PyNamespace('datetime.timezone', { utc: new PyNamespace('datetime.timezone.utc', {}) }),
});

/** The functions every expression may call (the SDK's mapper `functions`). */
export const FUNCTIONS: Readonly<Record<string, Callable>> = {
  md5: digest('md5'),
  sha256: digest('sha256'),
  int: new PyFunction('int', toInt),
  float: new PyFunction('float', toFloat),
  str: new PyFunction('str', ([value = '']) => str(value)),
  bool: new PyFunction('bool', ([value = false]) => truthy(value)),
  json: jsonModule,
  datetime: datetimeModule,
  list: new PyFunction('list', ([value = []]) => toList(value)),
  tuple: new PyFunction('tuple', ([value = []]) => toList(value)),
  set: new PyFunction('set', ([value = []]) => toList(value).filter((v, i, all) => all.findIndex((w) => w === v) === i)),
  dict: new PyFunction('dict', ([pairs = []], kwargs) => {
    const dict: PyDict = { ...kwargs };
    for (const pair of isDict(pairs) ? Object.entries(pairs) : toList(pairs)) {
      if (!Array.isArray(pair) || pair.length !== 2) throw new PyError('ValueError', 'dictionary update sequence element has wrong length');
      setItem(dict, dictKeyText(pair[0]!), pair[1]!);
    }
    return dict;
  }),
};

function toList(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return [...value];
  if (typeof value === 'string') return Array.from(value);
  if (isDict(value)) return Object.keys(value);
  throw new PyError('TypeError', `'${typeName(value)}' object is not iterable`);
}

/** A dict key as this model keeps it: text (an int key 2 and the text "2" are one key here, unlike Python). */
export function dictKeyText(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint' || typeof key === 'boolean' || key === null) return str(key);
  throw new PyError('TypeError', `unhashable or unsupported dict key type: '${typeName(key)}'`);
}

/** `value.name(...)`: the methods of strings, dicts, lists and dates that expressions use. */
export function method(value: PyValue, name: string): PyFunction | undefined {
  const fn =
    typeof value === 'string'
      ? STRING_METHODS[name]
      : isDict(value)
        ? DICT_METHODS[name]
        : value instanceof PyDate
          ? DATE_METHODS[name]
          : undefined;
  return fn ? new PyFunction(name, (args) => fn(value as never, args)) : undefined;
}

/** A date's attributes (year, month...). */
export function dateAttribute(value: PyDate, name: string): PyValue | undefined {
  const at = new Date(value.ms + (value.offset ?? 0) * 60000);
  const parts: Record<string, number> = { year: at.getUTCFullYear(), month: at.getUTCMonth() + 1, day: at.getUTCDate() };
  if (!value.dateOnly)
    Object.assign(parts, {
      hour: at.getUTCHours(),
      minute: at.getUTCMinutes(),
      second: at.getUTCSeconds(),
      microsecond: at.getUTCMilliseconds() * 1000,
    });
  return name in parts ? BigInt(parts[name]!) : undefined;
}

function text(args: PyValue[], i: number): string | undefined {
  const value = args[i];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new PyError('TypeError', `must be str, not ${typeName(value)}`);
  return value;
}

function strip(s: string, chars: string | undefined, left: boolean, right: boolean): string {
  const set = chars ?? ' \t\n\r\x0b\x0c';
  let start = 0;
  let end = s.length;
  while (left && start < end && set.includes(s[start]!)) start++;
  while (right && end > start && set.includes(s[end - 1]!)) end--;
  return s.slice(start, end);
}

function split(s: string, sep: string | undefined, max: number): string[] {
  if (sep === undefined) {
    const parts = s.trim().split(/\s+/).filter(Boolean);
    return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(' ')];
  }
  if (sep === '') throw new PyError('ValueError', 'empty separator');
  const parts = s.split(sep);
  return max < 0 || parts.length <= max + 1 ? parts : [...parts.slice(0, max), parts.slice(max).join(sep)];
}

const STRING_METHODS: Record<string, (s: string, args: PyValue[]) => PyValue> = {
  lower: (s) => s.toLowerCase(),
  upper: (s) => s.toUpperCase(),
  title: (s) => s.toLowerCase().replace(/(^|[^A-Za-z])([a-z])/g, (_, p: string, c: string) => p + c.toUpperCase()),
  capitalize: (s) => s.charAt(0).toUpperCase() + s.slice(1).toLowerCase(),
  strip: (s, a) => strip(s, text(a, 0), true, true),
  lstrip: (s, a) => strip(s, text(a, 0), true, false),
  rstrip: (s, a) => strip(s, text(a, 0), false, true),
  split: (s, a) => split(s, text(a, 0), a[1] === undefined ? -1 : Number(a[1])),
  replace: (s, a) => s.split(text(a, 0) ?? '').join(text(a, 1) ?? ''),
  startswith: (s, a) => (Array.isArray(a[0]) ? a[0] : [a[0] ?? null]).some((p) => s.startsWith(String(text([p], 0)))),
  endswith: (s, a) => (Array.isArray(a[0]) ? a[0] : [a[0] ?? null]).some((p) => s.endsWith(String(text([p], 0)))),
  find: (s, a) => BigInt(s.indexOf(text(a, 0) ?? '')),
  count: (s, a) => BigInt(s.split(text(a, 0) ?? '').length - 1),
  join: (s, a) => {
    const items = a[0];
    if (!Array.isArray(items)) throw new PyError('TypeError', 'can only join an iterable');
    return items.map((item) => (typeof item === 'string' ? item : text([item], 0)!)).join(s);
  },
  zfill: (s, a) => s.padStart(Number(a[0] ?? 0n), '0'),
  isdigit: (s) => /^\d+$/.test(s),
  isalpha: (s) => /^\p{L}+$/u.test(s),
};

const DICT_METHODS: Record<string, (d: Record<string, PyValue>, args: PyValue[]) => PyValue> = {
  get: (d, [key = null, fallback = null]) => {
    const text = dictKeyText(key);
    return Object.hasOwn(d, text) ? d[text]! : fallback;
  },
  keys: (d) => Object.keys(d),
  values: (d) => Object.values(d),
  items: (d) => Object.entries(d),
};

const DATE_METHODS: Record<string, (d: PyDate, args: PyValue[]) => PyValue> = {
  isoformat: (d) => d.isoformat(),
  date: (d) => new PyDate(d.ms + (d.offset ?? 0) * 60000 - ((d.ms + (d.offset ?? 0) * 60000) % 86400000), true, undefined),
  timestamp: (d) => (d.ms - (d.offset === undefined ? 0 : 0)) / 1000,
};
