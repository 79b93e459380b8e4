/**
 * From API elements to records: unwrap ({"appointment": {...}} and flat forms alike), drop fields that the
 * catalog deselects, and make the rest conform to the schema (conform.ts). The shapes are those of
 * docs/api.md#record-shapes.
 */
import type { JsonSchema } from '../protocol/catalog.js';
import { conformer, type ConformOptions, type Drift } from './conform.js';
import { isPlainObject } from './json.js';

export type ApiRecord = Record<string, unknown> & { id: number | string };

/** The record of an element: the element, or the object under `wrapperKey` when it has no id of its own. */
export function unwrap(element: unknown, wrapperKey: string | undefined): Record<string, unknown> | undefined {
  if (!isPlainObject(element)) return undefined;
  if (!wrapperKey || element.id !== undefined) return element;
  const inner = element[wrapperKey];
  return isPlainObject(inner) ? inner : element;
}

export interface Shaped {
  record: ApiRecord;
  /** The record is the element itself, unchanged: the element's JSON text is the record's. */
  asIs: boolean;
  /** What did not conform to the schema, coerced or to be admitted by a widened schema (conform.ts). */
  drifts: Drift[];
}

export interface RecordShaper {
  /** The record of an element, or undefined when the element is not a record with an id. */
  shape(element: unknown): Shaped | undefined;
}

/**
 * How a stream's records are shaped: Airbyte's are in UTC and fit the catalog as it is (`widenInPlace`
 * false: what does not fit is moved; Singer announces a widened schema instead, conform.ts).
 */
export interface ShapeOptions extends ConformOptions {
  /** A date-time with an offset written as the same instant in UTC ("…-05:00" → "…Z"). */
  utc?: boolean;
}

/**
 * The records of a stream, decided once from its schema: unwrapped, cut to the selected fields, made to
 * conform to the schema (conform.ts: coerced, moved, or reported for a wider schema), and in UTC where asked.
 */
export function recordShaper(
  schema: JsonSchema,
  wrapperKey: string | undefined,
  fields: ReadonlySet<string> | null,
  { utc = false, ...conformOptions }: ShapeOptions = {},
): RecordShaper {
  const check = conformer(schema, conformOptions);
  const dateTimeProps = utc
    ? Object.entries(schema.properties ?? {})
        .filter(([name, property]) => property.format === 'date-time' && (!fields || fields.has(name)))
        .map(([name]) => name)
    : [];
  const keep = fields ? [...fields] : null;

  return {
    shape(element) {
      const unwrapped = unwrap(element, wrapperKey);
      if (!unwrapped) return undefined;
      const id = unwrapped.id;
      if (typeof id !== 'number' && typeof id !== 'string') return undefined;
      let record = unwrapped;
      let asIs = record === element;
      if (keep) {
        record = {};
        for (const name of keep) if (name in unwrapped) record[name] = unwrapped[name];
        asIs = false;
      }
      const drifts = check.conform(record, id);
      if (!drifts) return undefined;
      if (drifts.some((d) => d.action !== 'widened')) asIs = false;
      for (const name of dateTimeProps) {
        const value = record[name];
        if (typeof value !== 'string' || value.endsWith('Z')) continue;
        const ms = Date.parse(value);
        if (Number.isNaN(ms)) continue;
        record[name] = new Date(ms).toISOString();
        asIs = false;
      }
      return { record: record as ApiRecord, asIs, drifts };
    },
  };
}
