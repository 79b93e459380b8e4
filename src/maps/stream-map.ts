/**
 * One stream map: how the records of a source stream become the records of one output stream, and what
 * its SCHEMA says. A port of the Meltano SDK's StreamMap classes (singer_sdk/mapper.py): `same` writes
 * the records as they are (flattened where flattening is on), `remove` writes none, `custom` applies a
 * stream's map: __filter__, __key_properties__, __else__ and its properties (added, replaced or removed),
 * with the SDK's type inference for computed properties.
 */
import type { JsonSchema } from '../records/json.js';
import { TapError, UsageError } from '../errors.js';
import { Expression } from './evaluate.js';
import { FUNCTIONS } from './builtins.js';
import { flattenRecord, flattenSchema, type Flattening } from './flatten.js';
import { MapSyntaxError } from './parser.js';
import { Budget } from './limits.js';
import { Dec, isDict, PyError, strRepr, truthy, type PyDict, type PyValue, setItem } from './values.js';

export const NULL_STRING = '__NULL__';

export interface StreamMap {
  /** The output stream's name. */
  readonly alias: string;
  readonly kind: 'same' | 'remove' | 'custom';
  readonly schema: JsonSchema;
  /** null: the SCHEMA has no key_properties (the SDK writes none). */
  readonly keyProperties: string[] | null;
  /** Records come out byte for byte as they went in: no filter, no property, no flattening. */
  readonly identity: boolean;
  /**
   * The output record, or undefined when the map writes none for this record. `lenient`, for a tombstone
   * (a record of its key alone, sync/deletions.ts): an expression that fails leaves its property null, and
   * a filter that fails keeps the record, rather than failing the stream.
   */
  transform(record: PyDict, id: unknown, lenient?: boolean): PyDict | undefined;
}

/** The context every map of a run shares. */
export interface MapContext {
  /** stream_map_config: `config` in expressions. */
  config: PyValue;
  /** The texts of stream_map_config's values, each with its name (config['hash_seed']), to keep out of error messages. */
  secrets: readonly (readonly [string, string])[];
  /** Flattening, when on (enabled and a depth above 0). */
  flattening?: Flattening;
}

export function isNullDef(def: unknown): boolean {
  return def === null || def === NULL_STRING;
}

export function sameMap(alias: string, schema: JsonSchema, keyProperties: string[] | null, context: MapContext): StreamMap {
  const flattening = context.flattening;
  const objects = new Set<string>();
  const flat = flattening ? flattenSchema(schema, flattening, objects) : schema;
  return {
    alias,
    kind: 'same',
    schema: flat,
    keyProperties,
    identity: !flattening,
    transform: (record) => (flattening ? flattenRecord(record, flat, flattening, objects) : record),
  };
}

export function removeMap(alias: string, schema: JsonSchema): StreamMap {
  return { alias, kind: 'remove', schema, keyProperties: null, identity: false, transform: () => undefined };
}

/** A config mistake in a stream's map: named by stream and property. */
export function mapConfigError(alias: string, property: string | undefined, what: string): UsageError {
  const where = property === undefined ? `stream map "${alias}"` : `stream map "${alias}", property "${property}"`;
  return new UsageError(`setting "stream_maps": ${where}: ${what}`);
}

/** An expression's text as messages quote it: in full up to 200 characters, else its start and its length. */
export function quoteSource(text: string): string {
  if (text.length <= 200) return JSON.stringify(text);
  return `${JSON.stringify(text.slice(0, 100))}… (${text.length.toLocaleString('en-US')} characters)`;
}

function compile(alias: string, property: string, text: string): Expression {
  try {
    return new Expression(text);
  } catch (error) {
    if (!(error instanceof MapSyntaxError)) throw error;
    if (error.column === undefined) throw mapConfigError(alias, property, error.message);
    throw mapConfigError(alias, property, `the expression ${quoteSource(text)} cannot be parsed: ${error.message}`);
  }
}

interface PropertyRule {
  key: string;
  /** undefined: the property is removed. */
  expression?: Expression;
}

/** The SDK's CustomStreamMap: a stream's map of properties. */
export function customMap(
  alias: string,
  sourceName: string,
  definition: Record<string, unknown>,
  raw: { schema: JsonSchema; keyProperties: string[] | null },
  context: MapContext,
): StreamMap {
  const def = { ...definition };
  const filterText = def.__filter__;
  delete def.__filter__;
  const filter = filterRule(alias, filterText);
  let keyProperties = raw.keyProperties;
  if ('__key_properties__' in def) {
    keyProperties = keyList(alias, def.__key_properties__);
    delete def.__key_properties__;
  }
  let includeByDefault = true;
  if ('__else__' in def) {
    if (!isNullDef(def.__else__))
      throw mapConfigError(alias, '__else__', `only null or "${NULL_STRING}" is supported (got ${JSON.stringify(def.__else__)})`);
    includeByDefault = false;
    delete def.__else__;
  }
  const rawSchema = structuredClone(raw.schema);
  const { schema, rules } = transformSchema(alias, def, rawSchema, includeByDefault, keyProperties);
  checkNames(alias, sourceName, raw.schema, [
    ...(filter ? [{ key: '__filter__', expression: filter }] : []),
    ...rules.flatMap(({ key, expression }) => (expression ? [{ key, expression }] : [])),
  ]);
  const objects = new Set<string>();
  const flat = context.flattening ? flattenSchema(schema, context.flattening, objects) : schema;
  const evaluate = evaluator(alias, sourceName, context);
  const identity = !filter && rules.length === 0 && !context.flattening && includeByDefault;
  return {
    alias,
    kind: 'custom',
    schema: flat,
    keyProperties,
    identity,
    transform(record, id, lenient = false) {
      // One budget for the record: its filter and its properties together (limits.ts).
      const budget = new Budget();
      const value = (expression: Expression, key: string, failed: PyValue): PyValue => {
        try {
          return evaluate(expression, key, record, id, budget);
        } catch (error) {
          if (lenient && error instanceof TapError) return failed;
          throw error;
        }
      };
      if (filter && !truthy(value(filter, '__filter__', true))) return undefined;
      const result: PyDict = includeByDefault ? { ...record } : pickKeys(record, keyProperties);
      for (const { key, expression } of rules) {
        if (expression) setItem(result, key, value(expression, key, null));
        else Reflect.deleteProperty(result, key);
      }
      // The SDK writes no record for an empty one (an empty dict is false in Python).
      if (Object.keys(result).length === 0) return undefined;
      return context.flattening ? flattenRecord(result, flat, context.flattening, objects) : result;
    },
  };
}

/** The names an expression may read besides the record's properties (evaluator below) and the functions of builtins.ts. */
const SDK_NAMES = new Set(['_', 'record', 'config', 'self', '__stream_name__', '__original_stream_name__']);

/**
 * Every name an expression reads must be a property of the source stream's schema (a record may lack it:
 * the expression then fails on that record, as in the SDK), one of the SDK's names or a function: a
 * misspelt name fails the run before any request, not on every record.
 */
function checkNames(alias: string, sourceName: string, source: JsonSchema, rules: readonly Required<PropertyRule>[]): void {
  const properties = source.properties ?? {};
  for (const { key, expression } of rules) {
    const unknown = expression.names().find((name) => !Object.hasOwn(properties, name) && !SDK_NAMES.has(name) && !FUNCTIONS.has(name));
    if (unknown === undefined) continue;
    throw mapConfigError(
      alias,
      key,
      `the expression ${quoteSource(expression.text)} reads "${unknown}", which is not a property of stream ${sourceName} ` +
        `(nor record, _, config, self, __stream_name__, __original_stream_name__ or a function): check its spelling ` +
        `(a property the schema does not declare is read with record.get('${unknown}'))`,
    );
  }
}

function filterRule(alias: string, text: unknown): Expression | undefined {
  if (text === undefined || text === null) return undefined;
  if (typeof text !== 'string')
    throw mapConfigError(alias, '__filter__', `expected a string expression or null (got ${JSON.stringify(text)})`);
  return compile(alias, '__filter__', text);
}

function keyList(alias: string, value: unknown): string[] | null {
  if (value === null) return null;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value;
  throw mapConfigError(alias, '__key_properties__', `expected a list of property names or null (got ${JSON.stringify(value)})`);
}

function pickKeys(record: PyDict, keys: string[] | null): PyDict {
  const result: PyDict = {};
  for (const key of keys ?? []) if (Object.hasOwn(record, key)) setItem(result, key, record[key]!);
  return result;
}

/**
 * The output schema and the property rules, as the SDK's _init_functions_and_schema builds them. Its
 * schema is a shallow copy of the source's: when records keep their other properties, removing or adding
 * a property changes the properties that later expressions look their types up in, as in the SDK.
 */
function transformSchema(
  alias: string,
  def: Record<string, unknown>,
  rawSchema: JsonSchema,
  includeByDefault: boolean,
  keyProperties: string[] | null,
): { schema: JsonSchema; rules: PropertyRule[] } {
  rawSchema.properties ??= {};
  const schema: JsonSchema = includeByDefault
    ? { ...rawSchema }
    : { type: 'object', properties: {}, $schema: 'https://json-schema.org/draft/2020-12/schema' };
  schema.properties ??= {};
  const properties = schema.properties;
  const rules: PropertyRule[] = [];
  for (const [key, value] of Object.entries(def)) {
    if (isNullDef(value)) {
      if ((keyProperties ?? []).includes(key))
        throw mapConfigError(
          alias,
          key,
          `removing key property '${key}' is not permitted. To remove a key property, set "__key_properties__" to a new list ` +
            'of key property names, or to null to replicate with no key properties',
        );
      Reflect.deleteProperty(properties, key);
      if (Array.isArray(schema.required)) schema.required = (schema.required as string[]).filter((item) => item !== key);
      rules.push({ key });
    } else if (typeof value === 'string') {
      const existing = nonEmpty(properties[key]) ?? nonEmpty(rawSchema.properties[value]);
      properties[key] = withNull(inferType(value, existing, rawSchema));
      rules.push({ key, expression: compile(alias, key, value) });
    } else {
      throw mapConfigError(alias, key, `expected an expression (a string), null or "${NULL_STRING}" (got ${JSON.stringify(value)})`);
    }
  }
  for (const key of keyProperties ?? []) {
    if (!(key in properties))
      throw mapConfigError(
        alias,
        undefined,
        `key property '${key}' is not in the map's output (key properties: [${(keyProperties ?? []).join(',')}]): keep it ` +
          `("${key}": "${key}"), or name other key properties with "__key_properties__" (null for none)`,
      );
  }
  return { schema, rules };
}

function nonEmpty(schema: JsonSchema | undefined): JsonSchema | undefined {
  return schema && Object.keys(schema).length > 0 ? schema : undefined;
}

/** The SDK's _eval_type: a computed property's type, from the text of its expression. */
export function inferType(expr: string, existing: JsonSchema | undefined, rawSchema: JsonSchema): JsonSchema {
  if (expr === 'record') return rawSchema;
  if (expr.startsWith('float(')) return { type: ['number'] };
  if (expr.startsWith('int(')) return { type: ['integer'] };
  if (expr.startsWith('str(') || expr.startsWith('json.dumps(')) return { type: ['string'] };
  if (expr.startsWith('bool(')) return { type: ['boolean'] };
  if (expr.startsWith('datetime.date.') || expr.startsWith('datetime.date(') || expr.endsWith('.date()'))
    return { type: ['string'], format: 'date' };
  if (expr.startsWith('datetime.datetime.') || expr.startsWith('datetime.datetime(')) return { type: ['string'], format: 'date-time' };
  if (expr.startsWith("'") && expr.endsWith("'")) return { type: ['string'] };
  return existing ?? { type: ['string'] };
}

/** singer_sdk.helpers._typing.append_type(schema, "null"), on a copy. */
export function withNull(schema: JsonSchema): JsonSchema {
  const result = structuredClone(schema);
  if ('anyOf' in result) {
    if (Array.isArray(result.anyOf)) {
      if (!(result.anyOf as unknown[]).includes('null')) (result.anyOf as unknown[]).push('null');
    } else if (result.anyOf !== 'null') result.anyOf = [result.anyOf, 'null'];
    return result;
  }
  if (Array.isArray(result.oneOf)) {
    (result.oneOf as unknown[]).push({ type: 'null' });
    return result;
  }
  if ('type' in result) {
    const types = Array.isArray(result.type) ? result.type : [result.type as string];
    if (!types.includes('null')) result.type = [...types, 'null'];
  }
  return result;
}

type Evaluate = (expression: Expression, property: string, record: PyDict, id: unknown, budget: Budget) => PyValue;

/** Evaluates an expression over a record's names, as the SDK's CustomStreamMap._eval; a failure names the stream, the property and the record. */
function evaluator(alias: string, sourceName: string, context: MapContext): Evaluate {
  return (expression, property, record, id, budget) => {
    const names = (name: string): PyValue | undefined => {
      switch (name) {
        case '_':
        case 'record':
          return record;
        case 'config':
          return context.config;
        case '__stream_name__':
          return alias;
        case '__original_stream_name__':
          return sourceName;
        case 'self':
          return property !== '__filter__' && Object.hasOwn(record, property) ? record[property] : undefined;
        default:
          return Object.hasOwn(record, name) ? record[name] : undefined;
      }
    };
    try {
      return expression.evaluate(names, budget);
    } catch (error) {
      if (!(error instanceof PyError)) throw error;
      // A value in the message may be long (a 100,000-digit text float() refused): the start of it says enough.
      const message = error.message.length > 1000 ? `${error.message.slice(0, 1000)}…` : error.message;
      const what = redact(message, context.secrets);
      throw new TapError(
        `stream map "${alias}", property "${property}": the expression ${quoteSource(expression.text)} failed on record id ${String(id)}: ${what}`,
      );
    }
  };
}

/** The texts of stream_map_config's values of 3 characters or more (strings, numbers), longest first, each with its name. */
export function configSecrets(config: PyValue): [string, string][] {
  const found: [string, string][] = [];
  const walk = (value: PyValue, name: string, depth: number): void => {
    if (depth > 20) return;
    if (Array.isArray(value))
      value.forEach((item, i) => {
        walk(item, `${name}[${i}]`, depth + 1);
      });
    else if (isDict(value)) for (const key of Object.keys(value)) walk(value[key]!, `${name}[${strRepr(key)}]`, depth + 1);
    else if (typeof value === 'string' || typeof value === 'bigint' || value instanceof Dec) {
      const text = String(value);
      if (text.length < 3) return;
      found.push([text, name]);
      const quoted = strRepr(text).slice(1, -1);
      if (quoted !== text) found.push([quoted, name]);
    }
  };
  walk(config, 'config', 0);
  return found.sort(([a], [b]) => b.length - a.length);
}

/** An error message with every text of stream_map_config named instead (config['hash_seed']), never written out. */
export function redact(message: string, secrets: readonly (readonly [string, string])[]): string {
  let out = message;
  for (const [text, name] of secrets) if (out.includes(text)) out = out.split(text).join(name);
  return out;
}
