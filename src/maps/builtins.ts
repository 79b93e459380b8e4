/**
 * The functions and methods map expressions may call: the SDK's (md5, sha256, datetime, bool, json) and
 * simpleeval's defaults (int, float, str, list, tuple, dict, set), the methods of strings (strings.ts),
 * dicts and dates (dates.ts). No other function exists: `len`, `open`, `__import__`... are unknown names,
 * as in the SDK. Every table is a Map, so that no lookup reaches JavaScript's own objects (a method named
 * `constructor` or `toString` is no method here), and each call takes its arguments as Python binds
 * them (keyword arguments only where Python takes them) and spends the record's budget.
 */
import { createHash } from 'node:crypto';
import { decToInt, floatToDec } from './decimal.js';
import { constructDate, dateMethod, fromIsoFormat, UTC } from './dates.js';
import { type Budget, charSteps, MAX_INT_DIGITS, MAX_LENGTH, MAX_VALUE_DEPTH, PyError, tooDeep } from './limits.js';
import { floatToInt, intToFloat, parseFloat_, parseInt_ } from './numbers.js';
import { dumps, parseJson, PY_DUMPS, type DumpOptions } from './pyjson.js';
import { intArg, STRING_METHODS } from './strings.js';
import { Dec, isDict, PyDate, setItem, str, truthy, typeName, type PyDict, type PyValue } from './values.js';

/** What a keyword argument may be: a value, a function (json.dumps' default=) or datetime.timezone.utc. */
export type Argument = PyValue | PyFunction | typeof UTC;
export type Keywords = ReadonlyMap<string, Argument>;

/** A callable value: positional and keyword arguments, and the budget of the record it runs for. */
export class PyFunction {
  constructor(
    readonly name: string,
    readonly call: (args: PyValue[], kwargs: Keywords, budget: Budget) => PyValue,
  ) {}
}

/** A module or class namespace (json, datetime, datetime.datetime). */
export class PyNamespace {
  constructor(
    readonly name: string,
    readonly members: ReadonlyMap<string, PyFunction | PyNamespace>,
    /** What the namespace stands for as an argument (datetime.timezone.utc). */
    readonly token?: typeof UTC,
  ) {}
}

export type Callable = PyFunction | PyNamespace;

/** Binds positional and keyword arguments to `params` (keywords only for those in `keywords`), as Python does. */
export function bind(
  name: string,
  args: PyValue[],
  kwargs: Keywords,
  params: readonly string[],
  keywords: readonly string[] = [],
): (PyValue | undefined)[] {
  if (args.length > params.length)
    throw new PyError(
      'TypeError',
      `${name}() takes at most ${params.length} argument${params.length === 1 ? '' : 's'} (${args.length} given)`,
    );
  const bound: (PyValue | undefined)[] = [...args];
  for (const [key, value] of kwargs) {
    const at = params.indexOf(key);
    if (!keywords.includes(key)) throw new PyError('TypeError', `${name}() takes no keyword argument '${key}'`);
    if (at < args.length) throw new PyError('TypeError', `${name}() got multiple values for argument '${key}'`);
    if (value instanceof PyFunction || value === UTC) throw new PyError('TypeError', `${name}(): a function is not a value`);
    bound[at] = value;
  }
  return bound;
}

function noKeywords(name: string, kwargs: Keywords): void {
  if (kwargs.size > 0) throw new PyError('TypeError', `${name}() takes no keyword arguments`);
}

function digest(algorithm: 'md5' | 'sha256') {
  return new PyFunction(algorithm, (args, kwargs, budget) => {
    const [value] = bind(algorithm, args, kwargs, ['string'], ['string']);
    if (value === undefined) throw new PyError('TypeError', `${algorithm}() missing 1 required positional argument: 'string'`);
    if (typeof value !== 'string') throw new PyError('AttributeError', `'${typeName(value)}' object has no attribute 'encode'`);
    budget.step(charSteps(value.length));
    return createHash(algorithm).update(value, 'utf8').digest('hex');
  });
}

function toInt(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  const [value = 0n, base] = bind('int', args, kwargs, ['x', 'base'], ['base']);
  if (base !== undefined) {
    if (typeof value !== 'string') throw new PyError('TypeError', "int() can't convert non-string with explicit base");
    budget.step(charSteps(value.length));
    return parseInt_(value, intArg(base), budget);
  }
  if (typeof value === 'bigint') return value;
  if (typeof value === 'boolean') return value ? 1n : 0n;
  if (typeof value === 'number') return floatToInt(value);
  if (value instanceof Dec) {
    const int = decToInt(value, MAX_INT_DIGITS);
    if (int === undefined)
      throw new PyError('NumberTooHigh', `Sorry! I don't want to evaluate an int of more than ${MAX_INT_DIGITS} digits`);
    return int;
  }
  if (typeof value === 'string') {
    budget.step(charSteps(value.length));
    return parseInt_(value, 10, budget);
  }
  throw new PyError('TypeError', `int() argument must be a string, a bytes-like object or a real number, not '${typeName(value)}'`);
}

function toFloat(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  noKeywords('float', kwargs);
  const [value = 0, ...rest] = args;
  if (rest.length > 0) throw new PyError('TypeError', `float expected at most 1 argument, got ${args.length}`);
  if (typeof value === 'number') return value;
  if (typeof value === 'bigint') return intToFloat(value);
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (value instanceof Dec) return value.toNumber();
  if (typeof value === 'string') {
    budget.step(charSteps(value.length));
    return parseFloat_(value);
  }
  throw new PyError('TypeError', `float() argument must be a string or a real number, not '${typeName(value)}'`);
}

function toStr(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  const [value = ''] = bind('str', args, kwargs, ['object'], ['object']);
  if (typeof value === 'string') return value;
  const text = str(value, MAX_LENGTH, budget);
  budget.spend(text.length, 2);
  return text;
}

/** json.dumps(obj, *, default, sort_keys, ensure_ascii, separators): other options are refused, not ignored. */
function jsonDumps(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  if (args.length !== 1) throw new PyError('TypeError', `dumps() takes 1 positional argument but ${args.length} were given`);
  const options: DumpOptions = { ...PY_DUMPS, limit: MAX_LENGTH, budget };
  for (const [key, value] of kwargs) {
    if (key === 'default') {
      if (!(value instanceof PyFunction)) throw new PyError('TypeError', 'json.dumps: default= must be a function (str, int, float...)');
      options.fallback = (v) => value.call([v], new Map(), budget);
    } else if (key === 'sort_keys' && !(value instanceof PyFunction) && value !== UTC) options.sortKeys = truthy(value);
    else if (key === 'ensure_ascii' && !(value instanceof PyFunction) && value !== UTC) options.ascii = truthy(value);
    else if (key === 'separators' && Array.isArray(value) && value.length === 2 && value.every((v) => typeof v === 'string'))
      [options.item, options.key] = value as [string, string];
    else throw new PyError('FeatureNotAvailable', `json.dumps(${key}=...) is not supported`);
  }
  const text = dumps(args[0]!, options);
  budget.spend(text.length, 2);
  return text;
}

/** json.loads(s): as Python's json module reads it, numbers with a fraction or exponent as floats. */
function jsonLoads(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  noKeywords('loads', kwargs);
  const [text] = args;
  if (typeof text !== 'string')
    throw new PyError('TypeError', `the JSON object must be str, bytes or bytearray, not ${typeName(text ?? null)}`);
  try {
    // Python's json.loads also reads NaN, Infinity and -Infinity: checked as numbers here, read as floats below.
    JSON.parse(text.replace(/"(?:[^"\\]|\\.)*"|-?Infinity|NaN/g, (token) => (token.startsWith('"') ? token : '0')));
  } catch (error) {
    throw new PyError('json.decoder.JSONDecodeError', (error as Error).message);
  }
  budget.spend(text.length, 2);
  if (nesting(text) > MAX_VALUE_DEPTH) throw tooDeep();
  return decimalsAsFloats(parseJson(text));
}

/** How deep the brackets of (valid) JSON text nest, strings skipped: read once, without recursion. */
function nesting(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x5b || c === 0x7b) deepest = Math.max(deepest, ++depth);
    else if (c === 0x5d || c === 0x7d) depth--;
  }
  return deepest;
}

function decimalsAsFloats(value: PyValue): PyValue {
  if (value instanceof Dec) return value.toNumber();
  if (Array.isArray(value)) return value.map(decimalsAsFloats);
  if (isDict(value)) {
    const out: PyDict = {};
    for (const key of Object.keys(value)) setItem(out, key, decimalsAsFloats(value[key]!));
    return out;
  }
  return value;
}

const jsonModule = new PyNamespace(
  'json',
  new Map([
    ['dumps', new PyFunction('dumps', jsonDumps)],
    ['loads', new PyFunction('loads', jsonLoads)],
  ]),
);

function dateConstructor(dateOnly: boolean): PyFunction {
  return new PyFunction(dateOnly ? 'date' : 'datetime', (args, kwargs) => {
    for (const value of kwargs.values()) if (value instanceof PyFunction) throw new PyError('TypeError', 'a function is not a date field');
    return constructDate(dateOnly, args, kwargs as Map<string, PyValue | typeof UTC>);
  });
}

function dateClass(dateOnly: boolean): PyNamespace {
  const name = dateOnly ? 'date' : 'datetime';
  const fromiso = new PyFunction('fromisoformat', (args, kwargs) => {
    noKeywords('fromisoformat', kwargs);
    return fromIsoFormat(dateOnly, args[0]);
  });
  return new PyNamespace(
    `datetime.${name}`,
    new Map([
      ['fromisoformat', fromiso],
      ['__call__', dateConstructor(dateOnly)],
    ]),
  );
}

const datetimeModule = new PyNamespace(
  'datetime',
  new Map([
    ['datetime', dateClass(false)],
    ['date', dateClass(true)],
    ['timezone', new PyNamespace('datetime.timezone', new Map([['utc', new PyNamespace('datetime.timezone.utc', new Map(), UTC)]]))],
  ]),
);

/** The items of an iterable, as list() and the comprehensions see them. */
export function iterate(value: PyValue): PyValue[] {
  if (Array.isArray(value)) return value;
  if (typeof value === 'string') return Array.from(value); // code points, as Python iterates a string
  if (isDict(value)) return Object.keys(value);
  throw new PyError('TypeError', `'${typeName(value)}' object is not iterable`);
}

function listOf(name: string) {
  return new PyFunction(name, (args, kwargs, budget) => {
    noKeywords(name, kwargs);
    if (args.length > 1) throw new PyError('TypeError', `${name} expected at most 1 argument, got ${args.length}`);
    const items = args.length === 0 ? [] : [...iterate(args[0]!)];
    budget.spend(items.length, 8);
    return name === 'set' ? distinct(items, budget) : items;
  });
}

/** A set's elements (first occurrence kept, in order: Python's own order is its hashes'). */
export function distinct(items: PyValue[], budget: Budget): PyValue[] {
  const seen = new Set<string>();
  const out: PyValue[] = [];
  budget.step(items.length);
  for (const item of items) {
    const key = hashKey(item);
    if (seen.has(key)) continue;
    seen.add(key);
    out.push(item);
  }
  budget.spend(out.length, 8);
  return out;
}

/** What decides that two hashable values are one set element (1, 1.0, True and Decimal('1.0') are one). */
function hashKey(value: PyValue): string {
  if (value === null) return 'None';
  if (typeof value === 'string') return `s${value}`;
  if (Array.isArray(value) || isDict(value)) throw new PyError('TypeError', `unhashable type: '${typeName(value)}'`);
  if (value instanceof PyDate) return `d${value.ms}${value.dateOnly}`;
  if (typeof value === 'boolean') return value ? 'n1e0' : 'n0';
  if (typeof value === 'bigint') return numberKey(value, 0);
  if (typeof value === 'number') {
    const exact = floatToDec(value);
    return exact ? numberKey(exact.coef, exact.exp) : `f${value}`;
  }
  return numberKey(value.coef, value.exp);
}

/** A number as coefficient and exponent without trailing zeros: equal numbers of any kind have one key. */
function numberKey(coef: bigint, exp: number): string {
  if (coef === 0n) return 'n0';
  let [c, e] = [coef, exp];
  while (c % 10n === 0n) [c, e] = [c / 10n, e + 1];
  return `n${c}e${e}`;
}

function toDict(args: PyValue[], kwargs: Keywords, budget: Budget): PyValue {
  if (args.length > 1) throw new PyError('TypeError', `dict expected at most 1 argument, got ${args.length}`);
  const dict: PyDict = {};
  const [source = []] = args;
  if (isDict(source)) for (const key of Object.keys(source)) setItem(dict, key, source[key]!);
  else
    for (const pair of iterate(source)) {
      const items = typeof pair === 'string' ? Array.from(pair) : Array.isArray(pair) ? pair : undefined;
      if (!items) throw new PyError('TypeError', `cannot convert dictionary update sequence element: '${typeName(pair)}' is not iterable`);
      if (items.length !== 2)
        throw new PyError('ValueError', `dictionary update sequence element has length ${items.length}; 2 is required`);
      setItem(dict, dictKeyText(items[0]!), items[1]!);
    }
  for (const [key, value] of kwargs) {
    if (value instanceof PyFunction || value === UTC) throw new PyError('TypeError', 'dict(): a function is not a value');
    setItem(dict, key, value);
  }
  budget.spend(Object.keys(dict).length, 8);
  return dict;
}

/** The functions every expression may call (the SDK's mapper `functions`). */
export const FUNCTIONS: ReadonlyMap<string, Callable> = new Map<string, Callable>([
  ['md5', digest('md5')],
  ['sha256', digest('sha256')],
  ['int', new PyFunction('int', toInt)],
  ['float', new PyFunction('float', toFloat)],
  ['str', new PyFunction('str', toStr)],
  [
    'bool',
    new PyFunction('bool', (args, kwargs) => {
      noKeywords('bool', kwargs);
      return args.length > 0 && truthy(args[0]!);
    }),
  ],
  ['json', jsonModule],
  ['datetime', datetimeModule],
  ['list', listOf('list')],
  ['tuple', listOf('tuple')],
  ['set', listOf('set')],
  ['dict', new PyFunction('dict', toDict)],
]);

/** A dict key as this model keeps it: text (an int key 2 and the text "2" are one key here, unlike Python). */
export function dictKeyText(key: PyValue): string {
  if (typeof key === 'string') return key;
  if (typeof key === 'bigint' || typeof key === 'boolean' || key === null) return str(key);
  throw new PyError('TypeError', `unhashable or unsupported dict key type: '${typeName(key)}'`);
}

type DictMethod = (d: PyDict, args: PyValue[], budget: Budget) => PyValue;

const DICT_METHODS: ReadonlyMap<string, DictMethod> = new Map<string, DictMethod>([
  [
    'get',
    (d, args) => {
      const [wanted] = args;
      if (wanted === undefined || args.length > 2) throw new PyError('TypeError', `get expected 1 to 2 arguments, got ${args.length}`);
      if (Array.isArray(wanted) || isDict(wanted)) throw new PyError('TypeError', `unhashable type: '${typeName(wanted)}'`);
      const key = typeof wanted === 'string' ? wanted : dictKeyText(wanted);
      return Object.hasOwn(d, key) ? d[key]! : (args[1] ?? null);
    },
  ],
  ['keys', (d, _, budget) => spent(Object.keys(d), budget)],
  ['values', (d, _, budget) => spent(Object.values(d), budget)],
  ['items', (d, _, budget) => spent(Object.entries(d), budget)],
  ['copy', (d, _, budget) => toDict([d], new Map(), budget)],
]);

function spent<T extends PyValue[]>(items: T, budget: Budget): T {
  budget.spend(items.length, 8);
  return items;
}

/** `value.name(...)`: the methods of strings, dicts and dates that expressions use; undefined for any other name. */
export function method(value: PyValue, name: string): PyFunction | undefined {
  if (typeof value === 'string') {
    const fn = STRING_METHODS.get(name);
    if (!fn) return undefined;
    return new PyFunction(name, (args, kwargs, budget) => {
      const bound = bind(name, args, kwargs, fn.params, fn.keywords);
      if (bound.slice(0, fn.required).some((v) => v === undefined) || bound.length < fn.required)
        throw new PyError(
          'TypeError',
          `${name}() takes at least ${fn.required} argument${fn.required === 1 ? '' : 's'} (${args.length} given)`,
        );
      return fn.call(value, bound, budget);
    });
  }
  if (isDict(value)) {
    const fn = DICT_METHODS.get(name);
    if (!fn) return undefined;
    return new PyFunction(name, (args, kwargs, budget) => {
      noKeywords(name, kwargs);
      if (name !== 'get' && args.length > 0) throw new PyError('TypeError', `${name}() takes no arguments (${args.length} given)`);
      return fn(value, args, budget);
    });
  }
  if (value instanceof PyDate) {
    const fn = dateMethod(value, name);
    if (!fn) return undefined;
    return new PyFunction(name, (args, kwargs) => {
      noKeywords(name, kwargs);
      if (args.length > 0) throw new PyError('TypeError', `${name}() takes no arguments (${args.length} given)`);
      return fn();
    });
  }
  return undefined;
}
