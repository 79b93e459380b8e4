/**
 * Schema flattening as the Meltano SDK does it (singer_sdk/helpers/_flattening.py): an object property
 * with declared properties becomes one property per member, named parent__child, down to
 * `flattening_max_depth` levels; what lies deeper, every array and every object without declared
 * properties becomes a string holding the value's JSON text, written as simplejson writes it (pyjson.ts:
 * no spaces, non-ASCII as \uXXXX, numbers as sent).
 */
import type { JsonSchema } from '../records/json.js';
import { dumps, SIMPLEJSON } from './pyjson.js';
import { isDict, type PyDict, type PyValue, setItem } from './values.js';

export interface Flattening {
  maxLevel: number;
  separator: string;
  maxKeyLength: number;
}

export const DEFAULT_SEPARATOR = '__';
export const DEFAULT_MAX_KEY_LENGTH = 255;

/** flatten_key: parents and name joined; shortened (inflection's camelize, lower-case letters dropped) past the maximum length. */
export function flattenKey(name: string, parents: readonly string[], separator: string, maxKeyLength: number): string {
  if (parents.length === 0 && name.length < maxKeyLength) return name;
  const parts = [...parents, name];
  for (let i = 0; parts.join(separator).length >= maxKeyLength && i < parts.length; i++) {
    const camel = parts[i]!.replace(/^[a-z\d]*/, (w) => w.charAt(0).toUpperCase() + w.slice(1)).replace(
      /(?:_|(\/))([a-z\d]*)/gi,
      (_, slash: string | undefined, w: string) => `${slash ?? ''}${w.charAt(0).toUpperCase()}${w.slice(1)}`,
    );
    const reduced = camel.replace(/[a-z]/g, '');
    parts[i] = (reduced.length > 1 ? reduced : parts[i]!.slice(0, 3)).toLowerCase();
  }
  return parts.join(separator);
}

function hasType(schema: JsonSchema, type: string): boolean {
  return Array.isArray(schema.type) ? schema.type.includes(type) : typeof schema.type === 'string' && schema.type.includes(type);
}

/**
 * flatten_schema: a copy of `schema` whose properties are flattened; `objects` collects the properties
 * that were objects and are now JSON text (flattenRecord's `objects`).
 */
export function flattenSchema(schema: JsonSchema, options: Flattening, objects = new Set<string>()): JsonSchema {
  const copy = structuredClone(schema);
  copy.properties = flattenProperties(copy, [], 0, options, objects);
  return copy;
}

function flattenProperties(
  node: JsonSchema,
  parents: string[],
  level: number,
  options: Flattening,
  objects: Set<string>,
): Record<string, JsonSchema> {
  const items: [string, JsonSchema][] = [];
  if (!node.properties) return {};
  for (const [name, field] of Object.entries(node.properties)) {
    const key = flattenKey(name, parents, options.separator, options.maxKeyLength);
    if ('type' in field) {
      if (hasType(field, 'object') && field.properties && level < options.maxLevel)
        items.push(...Object.entries(flattenProperties(field, [...parents, name], level + 1, options, objects)));
      else if (hasType(field, 'array') || (hasType(field, 'object') && options.maxLevel > 0)) {
        items.push([key, { type: hasType(field, 'null') ? ['string', 'null'] : 'string' }]);
        if (hasType(field, 'object')) objects.add(key);
      } else items.push([key, field]);
      continue;
    }
    // oneOf, anyOf...: the first alternative, when it is a string, an array or an object; a property without a type is a string.
    const composite = Object.values(field)[0];
    const first = Array.isArray(composite) && composite.length > 0 ? (composite[0] as unknown) : undefined;
    if (first === undefined || isFalsy(first) || isFalsy(composite)) {
      items.push([key, { type: ['null', 'string'] }]);
      continue;
    }
    const { type } = first as JsonSchema;
    if (type === 'string' || type === 'array' || type === 'object') items.push([key, { ...(first as JsonSchema), type: ['null', type] }]);
  }
  const seen = new Set<string>();
  for (const [key] of items) {
    if (seen.has(key)) throw new Error(`Duplicate column name produced in schema: ${key}`);
    seen.add(key);
  }
  return Object.fromEntries(items);
}

/** Python's truth of a JSON value: the SDK tests `(composite := first value)` before the list checks. */
function isFalsy(value: unknown): boolean {
  return (
    value === null ||
    value === false ||
    value === 0 ||
    value === '' ||
    (Array.isArray(value) && value.length === 0) ||
    (typeof value === 'object' && Object.keys(value).length === 0)
  );
}

/**
 * flatten_record: a record's members flattened as its flattened schema says. One deviation from the SDK,
 * for the `objects` of flattenSchema only: a value other than an object, an array, a string or null there
 * (a drifted value the tap's widened schema admitted, such as `true` for an object) is written as its JSON
 * text too, so that the record conforms to its SCHEMA; the SDK leaves it as it is, against its schema.
 */
export function flattenRecord(record: PyDict, flatSchema: JsonSchema, options: Flattening, objects?: ReadonlySet<string>): PyDict {
  const out: PyDict = {};
  flattenInto(out, record, { flatSchema, options, objects }, [], 0);
  return out;
}

interface FlattenRun {
  flatSchema: JsonSchema;
  options: Flattening;
  objects?: ReadonlySet<string>;
}

function flattenInto(out: PyDict, node: PyDict, run: FlattenRun, parents: string[], level: number): void {
  const { flatSchema, options } = run;
  const properties = flatSchema.properties ?? {};
  for (const [name, value] of Object.entries(node)) {
    const key = flattenKey(name, parents, options.separator, options.maxKeyLength);
    if (isDict(value) && !(key in properties) && level < options.maxLevel) {
      flattenInto(out, value, run, [...parents, name], level + 1);
      continue;
    }
    const text = shouldDump(name, value, flatSchema) || (value !== null && typeof value !== 'string' && run.objects?.has(key));
    setItem(out, key, text ? dumps(value, SIMPLEJSON) : value);
  }
}

/** _should_jsondump_value: objects and arrays; the schema clause looks the key up at the schema's top level, as the SDK does. */
function shouldDump(name: string, value: PyValue, flatSchema: JsonSchema): boolean {
  if (isDict(value) || Array.isArray(value)) return true;
  const entry = (flatSchema as Record<string, unknown>)[name] as JsonSchema | undefined;
  if (!entry?.type) return false;
  // A type written as a string is a set of its characters in Python, as the SDK reads it.
  const types = new Set(Array.isArray(entry.type) ? entry.type : Array.from(entry.type));
  return types.size === 3 && types.has('null') && types.has('object') && types.has('array');
}
