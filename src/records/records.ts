/**
 * From API elements to records: unwrap ({"appointment": {...}} and flat forms alike), drop fields that the
 * catalog deselects, and make the rest conform to the schema (conform.ts). The shapes are those of
 * docs/api.md#record-shapes.
 */
import { conformer, DRIFTED, type ConformOptions, type Conformer, type Drift } from './conform.js';
import { CustomValues, type CustomFieldsSpec } from './custom-values.js';
import { isPlainObject, type JsonObject, type JsonSchema } from './json.js';

/** A record's key: its id, or (a key of several properties) their values as JSON text. */
export type RecordKey = number | string;

/** The record of an element: the element, or the object under `wrapperKey` when it has no id of its own. */
export function unwrap(element: unknown, wrapperKey: string | undefined): Record<string, unknown> | undefined {
  if (!isPlainObject(element)) return undefined;
  if (!wrapperKey || element.id !== undefined) return element;
  const inner = element[wrapperKey];
  return isPlainObject(inner) ? inner : element;
}

export interface Shaped {
  record: Record<string, unknown>;
  key: RecordKey;
  /**
   * The record is the element itself, unchanged: the element's JSON text is the record's (with `appended`'s
   * members after its last, where it has them).
   */
  asIs: boolean;
  /** Members added at the record's end (its custom field columns) to an element otherwise as it was. */
  appended?: JsonObject;
  /** Whether the appended members may be wrong where the record's strings were read as Latin-1 (custom-values.ts). */
  appendedMisread?: boolean;
  /** What did not conform to the schema, coerced or to be admitted by a widened schema (conform.ts). */
  drifts: Drift[];
}

export interface RecordShaper {
  /** The record of an element, or undefined when the element is not a record with its key (an id). */
  shape(element: unknown): Shaped | undefined;
}

/**
 * How a stream's records are shaped: Airbyte's are in UTC and fit the catalog as it is (`widenInPlace`
 * false: what does not fit is moved; Singer announces a widened schema instead, conform.ts).
 */
export interface ShapeOptions extends ConformOptions {
  /** A date-time with an offset written as the same instant in UTC ("…-05:00" → "…Z"). */
  utc?: boolean;
  /** The custom field columns to fill (custom-values.ts), when the settings ask for them. */
  customFields?: CustomFieldsSpec;
}

/**
 * The records of a stream, decided once from its schema: unwrapped, cut to the selected fields, made to
 * conform to the schema (conform.ts: coerced, moved, or reported for a wider schema), and in UTC where asked.
 */
export function recordShaper(
  schema: JsonSchema,
  wrapperKey: string | undefined,
  fields: ReadonlySet<string> | null,
  { utc = false, customFields, ...conformOptions }: ShapeOptions = {},
): RecordShaper {
  const dateTimeProps = utc
    ? Object.entries(schema.properties ?? {})
        .filter(([name, property]) => property.format === 'date-time' && (!fields || fields.has(name)))
        .map(([name]) => name)
    : [];
  return new StreamShaper(
    conformer(schema, conformOptions),
    wrapperKey,
    fields ? [...fields] : null,
    dateTimeProps,
    conformOptions.keyProperties,
    customFields && customFields.sources.length > 0 ? new CustomValues(customFields) : undefined,
  );
}

/**
 * A stream's shaper. One class for every stream, not a closure for each: the page processor calls `shape`
 * for every record of every stream, and V8 optimises a call site for the one function it has seen there.
 */
class StreamShaper implements RecordShaper {
  constructor(
    private readonly check: Conformer,
    private readonly wrapperKey: string | undefined,
    /** The selected fields, or null for every field. */
    private readonly keep: string[] | null,
    /** Date-times written in UTC. */
    private readonly dateTimeProps: string[],
    private readonly keyProperties: readonly string[] | undefined,
    private readonly custom: CustomValues | undefined,
  ) {}

  shape(element: unknown): Shaped | undefined {
    const unwrapped = unwrap(element, this.wrapperKey);
    if (!unwrapped) return undefined;
    const id = keyOf(unwrapped, this.keyProperties);
    if (id === undefined) return undefined;
    let record = unwrapped;
    let asIs = record === element;
    let custom: { drifted?: JsonObject; drifts: Drift[]; appended?: JsonObject } | undefined;
    if (this.custom) {
      // Filled before the fields are cut: a column is read from properties (and the record's type) even where those are deselected.
      custom = { drifts: [] };
      // Members the API sent under a column's name are overwritten in place: the element's text no longer serves.
      if (asIs && this.custom.columns.some((c) => Object.hasOwn(unwrapped, c))) asIs = false;
      custom.drifted = this.custom.fill(unwrapped, id, custom.drifts);
      if (custom.drifted) asIs = false;
    }
    if (this.keep) {
      record = {};
      for (const name of this.keep) if (name in unwrapped) record[name] = unwrapped[name];
      asIs = false;
    }
    const conformed = this.check.conform(record, id);
    if (!conformed) return undefined;
    // After conforming: a DRIFTED the record has before it is the API's own (conform.ts).
    if (custom?.drifted) record[DRIFTED] = { ...(isPlainObject(record[DRIFTED]) ? record[DRIFTED] : {}), ...custom.drifted };
    const drifts = custom && custom.drifts.length > 0 ? [...conformed, ...custom.drifts] : conformed;
    if (drifts.some((d) => d.action !== 'widened')) asIs = false;
    for (const name of this.dateTimeProps) {
      const value = record[name];
      if (typeof value !== 'string' || value.endsWith('Z')) continue;
      const ms = Date.parse(value);
      if (Number.isNaN(ms)) continue;
      record[name] = new Date(ms).toISOString();
      asIs = false;
    }
    if (!asIs || !custom) return { record, key: id, asIs, drifts };
    const appended = this.custom!.valuesOf(record);
    return { record, key: id, asIs, drifts, appended, appendedMisread: this.custom!.misreadIn(record, appended) };
  }
}

/**
 * A record's key: its id (a number or a string), or, for a key of several properties, their values as
 * JSON text; undefined when one is missing or not a number or a string.
 */
export function keyOf(record: Record<string, unknown>, keyProperties: readonly string[] = ['id']): RecordKey | undefined {
  if (keyProperties.length === 1) {
    // Every record of most streams: no array made.
    const value = record[keyProperties[0]!];
    return typeof value === 'number' || typeof value === 'string' ? value : undefined;
  }
  const values: RecordKey[] = [];
  for (const name of keyProperties) {
    const value = record[name];
    if (typeof value !== 'number' && typeof value !== 'string') return undefined;
    values.push(value);
  }
  return values.length === 1 ? values[0] : JSON.stringify(values);
}
