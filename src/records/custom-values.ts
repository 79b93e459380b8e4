/**
 * A record's custom field columns (custom-fields.ts): each field's meaning, from the value its `properties`
 * holds: a drop-down's answer label, a check box's boolean, the text; null when unset or empty. A value
 * that does not fit its definition (an answer id the drop-down does not list, a check box "yes", an object)
 * goes to the record's DRIFTED object as the API sent it, under the column's name, and is reported once a
 * run as any drift is (drift.ts). `properties` itself is left as the API sent it.
 */
import type { CustomColumn, CustomSource, TypeTarget } from './custom-fields.js';
import type { Drift } from './conform.js';
import { isPlainObject, type JsonObject } from './json.js';

/** What a stream's records need to fill their columns: the sources the catalog declares, and the member naming a record's type. */
export interface CustomFieldsSpec {
  sources: CustomSource[];
  /** Every field name the stream defines, hidden ones included: a key one of them names is never read as another's. */
  names: string[];
  typeMember?: string;
  /** Whether the stream's schema declares DRIFTED (a catalog may lack it: then the drift widens it). */
  declaresDrifted: boolean;
}

/** A value's meaning, or why it has none (a drift). */
type Meaning = { value: unknown; coerced?: boolean } | { drift: string };

export class CustomValues {
  /** The columns written, in the order `fill` adds them to a record. */
  readonly columns: string[];

  constructor(private readonly spec: CustomFieldsSpec) {
    this.columns = spec.sources.flatMap((s) => s.columns.filter((c) => !c.unwritten).map((c) => c.column));
    const labels = spec.sources.flatMap((s) => [
      ...s.columns.flatMap((c) => Object.values(c.answers ?? {})),
      ...Object.values(s.byType ?? {}).flatMap((t) => Object.values(t?.answers ?? {})),
    ]);
    this.asciiDefinitions = [...spec.names, ...labels].every((text) => !beyondAscii(text));
    this.names = new Set(spec.names);
  }

  private readonly names: ReadonlySet<string>;

  private readonly asciiDefinitions: boolean;

  /**
   * Whether a record whose strings were read as Latin-1 (page-processor.ts, copying) may have filled its
   * columns wrong: a field name or an answer label beyond ASCII (then any such record), or a value or a type
   * beyond ASCII in this one.
   */
  misreadIn(record: JsonObject, appended: JsonObject): boolean {
    if (!this.asciiDefinitions) return true;
    if (this.spec.typeMember !== undefined && beyondAscii(record[this.spec.typeMember])) return true;
    for (const column of this.columns) if (beyondAscii(appended[column])) return true;
    return false;
  }

  /** The columns' values in a filled record, in their order. */
  valuesOf(record: JsonObject): JsonObject {
    const values: JsonObject = {};
    for (const column of this.columns) values[column] = record[column];
    return values;
  }

  /**
   * Writes the columns into `record` (in place), read from its `properties` (and its type). Returns the
   * values that go to DRIFTED; adds the drifts to report to `drifts`.
   */
  fill(record: JsonObject, id: number | string, drifts: Drift[]): JsonObject | undefined {
    const properties = isPlainObject(record.properties) ? record.properties : undefined;
    const type = this.spec.typeMember === undefined ? undefined : typeKey(record[this.spec.typeMember]);
    let drifted: JsonObject | undefined;
    for (const source of this.spec.sources) {
      const target = targetOf(source, type);
      for (let i = 0; i < source.columns.length; i++) {
        const column = source.columns[i]!;
        if (column.unwritten) continue;
        if (target === null || i !== target.column || properties === undefined) {
          record[column.column] = null;
          continue;
        }
        const served = valueOf(properties, source.name, this.names);
        const meaning = meaningOf(served, column.type, target.answers);
        const declared = declaredText(column.type, target.answers, source.name);
        if ('drift' in meaning) {
          record[column.column] = null;
          (drifted ??= {})[column.column] = served;
          const widening = this.spec.declaresDrifted ? undefined : { declareDrifted: true };
          drifts.push({ path: [column.column], declared, seen: meaning.drift, action: 'moved', widening, id });
          continue;
        }
        record[column.column] = meaning.value;
        if (meaning.coerced)
          drifts.push({ path: [column.column], declared, seen: `a ${typeof served}`, action: 'coerced', to: 'string', id });
      }
    }
    return drifted;
  }
}

/** Where a record of `type` puts the source's value: its type's target, else the source's own (null: nowhere). */
function targetOf(source: CustomSource, type: string | undefined): TypeTarget {
  if (source.byType !== undefined && type !== undefined && Object.hasOwn(source.byType, type)) return source.byType[type]!;
  return source.otherwise;
}

function typeKey(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return String(value);
  return undefined;
}

/**
 * A field's value: under its name verbatim, else under a key that reads the same but for ASCII spaces around
 * it and that no other field (a hidden one included) is named.
 */
function valueOf(properties: JsonObject, name: string, names: ReadonlySet<string>): unknown {
  if (Object.hasOwn(properties, name)) return properties[name];
  const trimmed = trimSpaces(name);
  for (const key of Object.keys(properties)) if (!names.has(key) && trimSpaces(key) === trimmed) return properties[key];
  return undefined;
}

/** Without ASCII spaces and tabs at either end (not String#trim's Unicode ones: a Latin-1 reading would see those otherwise). */
function trimSpaces(text: string): string {
  return text.replace(/^[ \t]+|[ \t]+$/g, '');
}

const CHECKED = new Set<unknown>(['1', 1, true, 'true']);
const UNCHECKED = new Set<unknown>(['0', 0, false, 'false']);

function meaningOf(served: unknown, type: CustomColumn['type'], answers: Record<string, string> | undefined): Meaning {
  if (served === undefined || served === null || served === '') return { value: null };
  if (type === 'boolean') {
    if (CHECKED.has(served)) return { value: true };
    if (UNCHECKED.has(served)) return { value: false };
    return { drift: `${kindOf(served)}, not a check box's "1" or "0"` };
  }
  if (typeof served !== 'string' && typeof served !== 'number' && typeof served !== 'boolean') return { drift: kindOf(served) };
  if (answers !== undefined) {
    const key = trimSpaces(String(served));
    if (Object.hasOwn(answers, key)) return { value: answers[key] };
    // Free text written where a drop-down is defined: its meaning, when it is one of the answers' labels.
    if (typeof served === 'string' && Object.values(answers).includes(served)) return { value: served };
    return { drift: `${kindOf(served)} that is none of the drop-down's answers` };
  }
  return typeof served === 'string' ? { value: served } : { value: String(served), coerced: true };
}

function kindOf(value: unknown): string {
  if (Array.isArray(value)) return 'an array';
  if (value === null) return 'null';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function declaredText(type: CustomColumn['type'], answers: Record<string, string> | undefined, name: string): string {
  const what = type === 'boolean' ? 'a check box' : answers ? 'a drop-down' : 'text';
  return `${type} or null (custom field ${JSON.stringify(name)}, ${what})`;
}

function beyondAscii(value: unknown): boolean {
  return typeof value === 'string' && /[\u0080-\uffff]/.test(value);
}
