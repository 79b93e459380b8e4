/**
 * Records that conform to the schema announced for them, whatever the API sends (docs/api.md#types-are-not-what-the-examples-show).
 * Each record goes through its stream's check, compiled once (record-check.ts); one that passes is left as it is (the
 * fast path). One that does not is walked with its schema, value by value:
 * - a value that the declared type holds exactly is coerced to it (the list is COERCIONS' comment);
 * - inside an object property (a JSON column in every target), any other value is kept where it is, and
 *   the member's schema is widened to admit it; so is an object property that receives an array or a
 *   boolean: the sync announces the widened schema before the record;
 * - any other value (a top-level property of a scalar or array type) is moved, as the API sent it, into the
 *   record's DRIFTED object under the property's name, and the property is null.
 * Why not widen every property: the targets do not follow a column whose type changes. MeltanoLabs
 * target-postgres never alters a column (a wider type stops the load), pipelinewise renames the old
 * column on every change, and PyAirbyte's DuckDB cache fails a batch on a value it cannot cast; object
 * properties are JSON columns in all three, whatever their members hold (docs/api.md#types-are-not-what-the-examples-show).
 * Each change is reported as a Drift, which names the property, the declared type, the type seen and the
 * record. The key property is never widened nor moved: a record whose id does not conform is not a record.
 */
import { isPlainObject, type JsonSchema } from './json.js';
import { DATE_TIME, recordCheck } from './record-check.js';
import { KEY_PROPERTIES } from '../streams.js';

export type JsonType = 'null' | 'boolean' | 'integer' | 'number' | 'string' | 'object' | 'array';

/** The property that holds, by property name, the values that did not fit their declared type. */
export const DRIFTED = '_drifted';

/** DRIFTED's schema, declared in every stream's schema (catalog.ts). */
export const DRIFTED_SCHEMA: JsonSchema = {
  type: ['null', 'object'],
  additionalProperties: true,
  description:
    'Values of other properties that did not fit their declared type, by property name, as the API sent them; the property itself is null in that record.',
};

/** What a record had that its schema did not expect, and what was done about it. */
export interface Drift {
  /** The property's path: names, with "[]" for an array's items (["customer", "address"], ["tags", "[]"]). */
  path: string[];
  /** The declared type, as written in messages ("integer or null", "string (date-time)"). */
  declared: string;
  /** The type of the value seen ("string", or "string (not a date-time)"). */
  seen: string;
  /**
   * coerced: the value was changed to the declared type, with the same meaning; widened: the schema was,
   * to admit the value where it is; moved: the value went into DRIFTED, the property is null.
   */
  action: 'coerced' | 'widened' | 'moved';
  /** Coerced: the type the value became. */
  to?: JsonType;
  /** Widened (or moved, where the schema lacks DRIFTED): the change to the schema. */
  widening?: Widening;
  /** The id of a record that had it. */
  id: number | string;
}

/** How a property's schema is widened: types added, the format dropped; or DRIFTED declared (at the root). */
export interface Widening {
  types?: JsonType[];
  dropFormat?: boolean;
  declareDrifted?: boolean;
}

/** A property's path as messages write it: "customer.address", "tags[]". */
export function pathText(path: readonly string[]): string {
  return path.reduce((text, step) => (step === '[]' ? `${text}[]` : text ? `${text}.${step}` : step), '');
}

export interface Conformer {
  /**
   * Makes `record` conform (in place): returns the drifts found, empty when it conformed as it was.
   * Undefined when the record's key property does not conform and cannot be coerced: not a record.
   */
  conform(record: Record<string, unknown>, id: number | string): Drift[] | undefined;
}

/** How a stream's records are made to conform. */
export interface ConformOptions {
  /** The key properties (the stream table's primary key): never widened nor moved. Default: id. */
  keyProperties?: readonly string[];
  /** False (Airbyte, whose catalog cannot change during a read): every value that cannot be coerced is moved. */
  widenInPlace?: boolean;
}

/**
 * The conformer of a stream's schema. A record that fails its check (record-check.ts) is walked only
 * where it failed: the top-level properties the check names (a property that passes needs no change).
 * What the walk keeps is checked again, and the check also reads what the walk does not (a catalog's own
 * keywords: enum, pattern...): a property that still fails is moved.
 */
export function conformer(schema: JsonSchema, { widenInPlace = true, keyProperties = KEY_PROPERTIES }: ConformOptions = {}): Conformer {
  const keys = new Set(keyProperties);
  const check = recordCheck(schema);
  const properties = Object.entries(schema.properties ?? {}).filter(([name]) => name !== DRIFTED);
  const declaresDrifted = schema.properties?.[DRIFTED] !== undefined;
  const move = (record: Record<string, unknown>, name: string, property: JsonSchema, served: unknown, id: number | string): Drift => {
    record[name] = null;
    record[DRIFTED] = { ...(isPlainObject(record[DRIFTED]) ? record[DRIFTED] : {}), [name]: served };
    const widening = declaresDrifted ? undefined : { declareDrifted: true };
    return { path: [name], declared: typeText(property), seen: describe(served, property), action: 'moved', widening, id };
  };
  return {
    conform(record, id) {
      // A member of the API's own named _drifted is the API's, not the tap's: kept under its own name inside
      // the tap's, before anything is moved there beside it.
      const own = Object.hasOwn(record, DRIFTED) ? [keepApiDrifted(record, id)] : [];
      if (check.passes(record)) return own;
      const failing = check.failing(record);
      const drifts: Drift[] = own;
      /** Properties walked without a widening: their values stay if the check now passes them. */
      const walked: { name: string; property: JsonSchema; served: unknown; found: Drift[] }[] = [];
      for (const [name, property] of properties) {
        if (!failing.has(name) || !Object.hasOwn(record, name)) continue;
        const served = record[name];
        const copy = typeof served === 'object' && served !== null ? structuredClone(served) : served;
        const found: Drift[] = [];
        const value = conformValue(copy, property, [name], id, found);
        if (!found.some((d) => d.action === 'widened')) {
          record[name] = value;
          walked.push({ name, property, served, found });
        } else if (widenInPlace && keptInPlace(property, found)) {
          record[name] = value;
          drifts.push(...found);
        } else {
          if (keys.has(name)) return undefined;
          drifts.push(move(record, name, property, served, id));
        }
      }
      const stillFailing =
        walked.length > 0
          ? check.failing(
              record,
              walked.map((w) => w.name),
            )
          : new Set<string>();
      for (const { name, property, served, found } of walked) {
        if (!stillFailing.has(name)) {
          drifts.push(...found);
          continue;
        }
        if (keys.has(name)) return undefined;
        drifts.push(move(record, name, property, served, id));
      }
      return drifts;
    },
  };
}

/**
 * Whether a top-level property's drifts can stay where they are: coercions always; widenings only inside
 * an object property, or of an object property by an array or a boolean (JSON columns in every target).
 */
function keptInPlace(property: JsonSchema, drifts: readonly Drift[]): boolean {
  const types = declaredTypes(property) ?? [];
  const objectColumn = types.includes('object') && !types.includes('array');
  return drifts.every(
    (d) =>
      d.action === 'coerced' ||
      (objectColumn && (d.path.length > 1 || (d.widening?.types ?? []).every((t) => t === 'array' || t === 'boolean'))),
  );
}

/** The type of a value as messages write it, with why a string is not the date-time its schema declares. */
/**
 * The API's own `_drifted` member, moved under its own name into the tap's (`{"_drifted": {"_drifted": …}}`):
 * whatever its type, the record then fits the column, and what the tap moves later goes beside it.
 */
function keepApiDrifted(record: Record<string, unknown>, id: number | string): Drift {
  const served = record[DRIFTED];
  record[DRIFTED] = { [DRIFTED]: served };
  return { path: [DRIFTED], declared: 'the tap’s own object', seen: typeOf(served), action: 'moved', id };
}

function describe(value: unknown, schema: JsonSchema): string {
  const seen = typeOf(value);
  return seen === 'string' && schema.format === 'date-time' ? 'string (not a date-time)' : seen;
}

/** A value made to conform to its schema (coerced), or kept with a drift that widens the schema. */
function conformValue(value: unknown, schema: JsonSchema, path: string[], id: number | string, drifts: Drift[]): unknown {
  const types = declaredTypes(schema);
  if (types === undefined) return value; // no type declared: anything goes
  const seen = typeOf(value);
  const fits = types.includes(seen) || (seen === 'integer' && types.includes('number'));
  if (fits && seen === 'string' && schema.format === 'date-time' && !isDateTime(value as string)) {
    if (value === '' && types.includes('null')) return coerced(null, schema, path, 'string (empty)', id, drifts);
    drifts.push({
      path,
      declared: typeText(schema),
      seen: 'string (not a date-time)',
      action: 'widened',
      widening: { dropFormat: true },
      id,
    });
    return value;
  }
  if (fits) return conformMembers(value, schema, path, id, drifts);
  const to = coercion(value, types, schema.format);
  if (to !== NONE) return coerced(to, schema, path, seen, id, drifts);
  drifts.push({ path, declared: typeText(schema), seen, action: 'widened', widening: { types: [seen] }, id });
  return value;
}

function coerced(value: unknown, schema: JsonSchema, path: string[], seen: string, id: number | string, drifts: Drift[]): unknown {
  drifts.push({ path, declared: typeText(schema), seen, action: 'coerced', to: typeOf(value), id });
  return value;
}

/** An object's declared members and an array's items, made to conform in place. */
function conformMembers(value: unknown, schema: JsonSchema, path: string[], id: number | string, drifts: Drift[]): unknown {
  if (isPlainObject(value) && schema.properties) {
    for (const [name, member] of Object.entries(schema.properties)) {
      if (Object.hasOwn(value, name)) value[name] = conformValue(value[name], member, [...path, name], id, drifts);
    }
  } else if (Array.isArray(value) && isPlainObject(schema.items)) {
    const items = schema.items;
    for (let i = 0; i < value.length; i++) value[i] = conformValue(value[i], items, [...path, '[]'], id, drifts);
  }
  return value;
}

const NONE = Symbol('no coercion');

/**
 * COERCIONS: the values that a declared type holds exactly, changed to it (same meaning, another JSON type):
 * - integer: a string of an integer ("12", "-3") within ±2^53; a boolean is not coerced;
 * - number: a string of a JSON number ("9.99", "1e3");
 * - boolean: "true"/"false" (any case), "1"/"0", and the numbers 1 and 0;
 * - string (no format): a number or a boolean, as its JSON text (12 → "12", true → "true");
 * - date-time: "" → null, where null is allowed (an empty string is no time).
 * Nothing else: an object or an array is never turned into text, nor text into an object.
 */
function coercion(value: unknown, types: readonly JsonType[], format: unknown): unknown {
  if (typeof value === 'string') {
    const text = value.trim();
    if (types.includes('integer') && /^-?\d+$/.test(text)) {
      const n = Number(text);
      if (Number.isSafeInteger(n)) return n;
    }
    if (types.includes('number') && /^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(text)) {
      const n = Number(text);
      if (Number.isFinite(n)) return n;
    }
    if (types.includes('boolean')) {
      const lower = text.toLowerCase();
      if (lower === 'true' || lower === '1') return true;
      if (lower === 'false' || lower === '0') return false;
    }
    return NONE;
  }
  if (typeof value === 'number' && types.includes('boolean') && (value === 0 || value === 1)) return value === 1;
  if ((typeof value === 'number' || typeof value === 'boolean') && types.includes('string') && format === undefined)
    return JSON.stringify(value);
  return NONE;
}

/**
 * A schema widened by the drifts (a copy; the schema given is not changed): a member gains the types seen
 * beside its own, a date-time that was not one loses its format, and DRIFTED is declared where a value
 * moved there.
 */
export function widen(schema: JsonSchema, drifts: readonly Drift[]): JsonSchema {
  const out = structuredClone(schema);
  for (const drift of drifts) {
    if (!drift.widening) continue;
    if (drift.widening.declareDrifted) {
      out.properties = { ...out.properties, [DRIFTED]: DRIFTED_SCHEMA };
      continue;
    }
    const property = schemaAt(out, drift.path);
    if (property) applyWidening(property, drift.widening);
  }
  return out;
}

/** Whether a drift changes the schema that `schema` already is (it was not widened that way yet). */
export function widens(schema: JsonSchema, drift: Drift): boolean {
  if (!drift.widening) return false;
  const { types, dropFormat, declareDrifted } = drift.widening;
  if (declareDrifted) return schema.properties?.[DRIFTED] === undefined;
  const property = schemaAt(schema, drift.path);
  const declared = property && declaredTypes(property);
  if (!declared) return false;
  return (dropFormat === true && property.format !== undefined) || (types ?? []).some((t) => !declared.includes(t));
}

function applyWidening(property: JsonSchema, { types, dropFormat }: Widening): void {
  const declared = declaredTypes(property);
  if (declared === undefined) return;
  if (dropFormat) delete property.format;
  const union = [...declared];
  for (const t of types ?? []) if (!union.includes(t)) union.push(t);
  property.type = union;
}

/** The schema of the property at `path`, or undefined where the schema does not declare it. */
export function schemaAt(schema: JsonSchema, path: readonly string[]): JsonSchema | undefined {
  let at: JsonSchema | undefined = schema;
  for (const step of path) {
    if (at === undefined) return undefined;
    at = step === '[]' ? (isPlainObject(at.items) ? at.items : undefined) : at.properties?.[step];
  }
  return at;
}

function declaredTypes(schema: JsonSchema): JsonType[] | undefined {
  if (schema.type === undefined) return undefined;
  return (Array.isArray(schema.type) ? schema.type : [schema.type]) as JsonType[];
}

/** "integer or null", "string (date-time)": a declared type as messages write it. */
export function typeText(schema: JsonSchema): string {
  const types = declaredTypes(schema);
  if (types === undefined) return 'any';
  const text = types.filter((t) => t !== 'null').join(' or ') + (types.includes('null') ? ' or null' : '');
  return schema.format === undefined ? text.replace(/^ or /, '') : `${text} (${schema.format})`;
}

export function typeOf(value: unknown): JsonType {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'array';
  if (typeof value === 'number') return Number.isInteger(value) ? 'integer' : 'number';
  if (typeof value === 'string' || typeof value === 'boolean' || typeof value === 'object') return typeof value as JsonType;
  return 'null'; // undefined, a function...: never in parsed JSON
}

/** RFC 3339 with a zone, as the record check reads it. */
const isDateTime = (text: string): boolean => DATE_TIME.test(text);
