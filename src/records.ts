/**
 * From API elements to records: unwrap ({"appointment": {...}} and flat forms alike), normalise the
 * fields whose type varies between accounts to the one type the schema declares, drop fields that the
 * catalog deselects. The shapes are those of docs/api.md#record-shapes.
 */
import type { JsonSchema } from './catalog.js';
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
}

export interface RecordShaper {
  /** The record of an element, or undefined when the element is not a record with an id. */
  shape(element: unknown): Shaped | undefined;
}

/**
 * Normalisation, decided once per stream from its schema:
 * - a top-level property declared as a plain string (money as decimal strings, ticketnum, primary_contact,
 *   hardwarecost...) receives numbers and booleans as their JSON text: lossless, and the column type
 *   never changes whatever an account sends;
 * - a date-time property receives "" as null (an empty string is not a date-time and would abort a load),
 *   and, with `utc`, a time with an offset as the same instant in UTC ("…-05:00" → "…Z").
 */
export function recordShaper(
  schema: JsonSchema,
  wrapperKey: string | undefined,
  fields: ReadonlySet<string> | null,
  utc = false,
): RecordShaper {
  const stringProps: string[] = [];
  const dateTimeProps: string[] = [];
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const types = Array.isArray(property.type) ? property.type : [property.type];
    if (!types.includes('string') || types.some((t) => t !== 'string' && t !== 'null')) continue;
    if (fields && !fields.has(name)) continue;
    (property.format === 'date-time' ? dateTimeProps : stringProps).push(name);
  }
  const keep = fields ? [...fields] : null;

  return {
    shape(element) {
      const record = unwrap(element, wrapperKey);
      if (!record) return undefined;
      const id = record.id;
      if (typeof id !== 'number' && typeof id !== 'string') return undefined;
      let asIs = record === element;
      for (const name of stringProps) {
        const value = record[name];
        if (typeof value === 'number' || typeof value === 'boolean') {
          record[name] = String(value);
          asIs = false;
        }
      }
      for (const name of dateTimeProps) {
        const value = record[name];
        if (value === '') {
          record[name] = null;
          asIs = false;
        } else if (utc && typeof value === 'string' && !value.endsWith('Z')) {
          const ms = Date.parse(value);
          if (!Number.isNaN(ms)) {
            record[name] = new Date(ms).toISOString();
            asIs = false;
          }
        }
      }
      if (!keep) return { record: record as ApiRecord, asIs };
      const picked: Record<string, unknown> = {};
      for (const name of keep) if (name in record) picked[name] = record[name];
      return { record: picked as ApiRecord, asIs: false };
    },
  };
}
