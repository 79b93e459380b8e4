/**
 * Custom fields as columns (setting `custom_fields: "columns"`, docs/custom-fields.md): the account's field
 * definitions, read from `GET /settings` and `GET /tickets/settings`, made into one typed column per stream
 * and field name. What the definitions look like, and what is only inferred, is docs/api.md#custom-fields.
 * The values of a record's columns are custom-values.ts's.
 */
import { isPlainObject, type JsonObject, type JsonSchema } from './json.js';

/** The streams whose records carry custom fields in `properties`, with definitions the API lists. */
export const CUSTOM_FIELD_STREAMS = ['tickets', 'customers', 'customer_assets'] as const;
export type CustomFieldStream = (typeof CUSTOM_FIELD_STREAMS)[number];

/** The prefix of every custom field's column: none of the API's own members starts with it (a test checks the schemas). */
export const COLUMN_PREFIX = 'cf_';

/** The longest column name: PostgreSQL cuts identifiers at 63 bytes, and two fields would then share one. */
const MAX_COLUMN = 63;

/** One field definition, as far as the tap reads it. */
export interface FieldDefinition {
  id?: string;
  /** The field's name, verbatim: the key of its value in a record's `properties`. */
  name: string;
  /** `text_field`, `select_box`, `text_area`… ('' when not given). */
  fieldType: string;
  hidden: boolean;
  /** The record type that defines it (a ticket type's id, an asset type's name), for streams whose fields are per type. */
  recordType?: string;
  /** A drop-down's answers, id (as text) → label; undefined for other fields, and where no answer is listed. */
  answers?: Record<string, string>;
}

export type Definitions = Record<CustomFieldStream, FieldDefinition[]>;

/**
 * Where a record puts a field's value: the column (an index in CustomSource.columns) and the answers its
 * value is read with (those of its own type's drop-down; none for text); null where the field is hidden.
 */
export type TypeTarget = { column: number; answers?: Record<string, string> } | null;

/** One field name of a stream (a key in its records' `properties`), and its column(s). */
export interface CustomSource {
  name: string;
  /**
   * Its columns: one per kind of value (a name defined as a check box by one ticket type and as text by
   * another has two); none where every field of the name is hidden.
   */
  columns: CustomColumn[];
  /** For streams whose fields are defined per record type: where each type's value goes. */
  byType?: Record<string, TypeTarget>;
  /**
   * Where the value of a record whose type is not known (or defines no field of the name) goes: the first
   * column, read with every answer of the name; nowhere where some type hides the field (it may be a secret).
   */
  otherwise: TypeTarget;
}

export interface CustomColumn {
  column: string;
  type: 'boolean' | 'string';
  /** A drop-down's answers, id → label (undefined: not a drop-down, or one whose answers are not listed). */
  answers?: Record<string, string>;
  /** What the column holds, in words (its schema's description). */
  description: string;
  /** Not in the run's catalog: its values are not written (the record's other columns still are). */
  unwritten?: boolean;
}

/** How a stream's records name their type: the member, and the field definitions' own (ticket_type_id…). */
export const RECORD_TYPE_MEMBER: Partial<Record<CustomFieldStream, string>> = { tickets: 'ticket_type_id', customer_assets: 'asset_type' };

/** Whether a definition's `field_type` names a check box. Never seen in an answer: matched loosely ("check_box", "checkbox"…). */
export function isCheckBox(fieldType: string): boolean {
  return /check|bool/i.test(fieldType);
}

/**
 * A column's name: the prefix, then the field's name in snake case: accents dropped, lowercase letters
 * and digits, every other run of characters one underscore ("Model No.:" → cf_model_no). A name with no
 * letter or digit left takes the field's id ("cf_field_4521").
 */
export function columnBase(name: string, id: string | undefined): string {
  const snake = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  const base = COLUMN_PREFIX + (snake || `field_${id ?? 'unnamed'}`.replace(/[^a-z0-9_]/gi, '_').toLowerCase());
  return base.slice(0, MAX_COLUMN - 4).replace(/_+$/, '');
}

/**
 * The columns of each stream, from its definitions. Fields of one name and kind (check box or not) share a
 * column: ticket types that each define "Warranty " fill one. Hidden fields get none. Two groups whose names
 * read the same (Notes and notes; a check box and a text field of one name) are told apart stably: the one
 * defined first (lowest field id, then the name) keeps the plain name, the next gets `_2`, and so on. A
 * field added later has a higher id, so no column already announced is renamed or changes type.
 */
export function customSources(definitions: Definitions): Record<CustomFieldStream, CustomSource[]> {
  const out = {} as Record<CustomFieldStream, CustomSource[]>;
  for (const stream of CUSTOM_FIELD_STREAMS) out[stream] = sourcesOf(stream, definitions[stream]);
  return out;
}

interface Group {
  name: string;
  type: 'boolean' | 'string';
  fields: FieldDefinition[];
  column: string;
}

function sourcesOf(stream: CustomFieldStream, fields: readonly FieldDefinition[]): CustomSource[] {
  // Hidden fields take part in naming, so that hiding one renames no other column; they get none themselves.
  const groups = new Map<string, Group>();
  for (const field of fields) {
    const type = kindOf(field);
    const key = `${type}\u0000${field.name}`;
    const group = groups.get(key) ?? { name: field.name, type, fields: [], column: '' };
    group.fields.push(field);
    groups.set(key, group);
  }
  const ordered = [...groups.values()].sort(
    (a, b) => compareIds(firstId(a), firstId(b)) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0),
  );
  const taken = new Set<string>();
  for (const group of ordered) {
    const base = columnBase(group.name, firstId(group));
    let column = base;
    for (let n = 2; taken.has(column); n++) column = `${base}_${n}`;
    taken.add(column);
    group.column = column;
  }
  const sources = new Map<string, CustomSource>();
  for (const group of ordered) {
    const source = sources.get(group.name) ?? { name: group.name, columns: [], otherwise: null };
    sources.set(group.name, source);
    const visible = group.fields.filter((f) => !f.hidden);
    if (visible.length === 0) continue;
    source.columns.push({
      column: group.column,
      type: group.type,
      answers: answersOf(visible),
      description: describe(stream, group.name, group.type, visible),
    });
  }
  const hiddenSomewhere = new Set(fields.filter((f) => f.hidden).map((f) => f.name));
  for (const source of sources.values())
    if (source.columns.length > 0 && !hiddenSomewhere.has(source.name))
      source.otherwise = { column: 0, answers: source.columns[0]!.answers };
  if (RECORD_TYPE_MEMBER[stream] === undefined) return [...sources.values()];
  for (const field of fields) {
    if (field.recordType === undefined) continue;
    const source = sources.get(field.name)!;
    const column = source.columns.findIndex((c) => c.type === kindOf(field));
    (source.byType ??= {})[field.recordType] = field.hidden || column < 0 ? null : { column, answers: field.answers };
  }
  return [...sources.values()];
}

function kindOf(field: FieldDefinition): 'boolean' | 'string' {
  return isCheckBox(field.fieldType) ? 'boolean' : 'string';
}

function firstId(group: Group): string | undefined {
  return group.fields.map((f) => f.id).sort(compareIds)[0];
}

/** Ids in numeric order where both are numbers; an id before none. */
function compareIds(a: string | undefined, b: string | undefined): number {
  if (a === b) return 0;
  if (a === undefined) return 1;
  if (b === undefined) return -1;
  const [x, y] = [Number(a), Number(b)];
  if (Number.isFinite(x) && Number.isFinite(y) && x !== y) return x - y;
  return a < b ? -1 : 1;
}

/** The answers of a group's drop-downs, merged (answer ids are the API's row ids, one per answer). */
function answersOf(fields: readonly FieldDefinition[]): Record<string, string> | undefined {
  const lists = fields.map((f) => f.answers).filter((a): a is Record<string, string> => a !== undefined);
  if (lists.length === 0) return undefined;
  const merged: Record<string, string> = {};
  for (const list of lists) Object.assign(merged, list);
  return merged;
}

function describe(stream: CustomFieldStream, name: string, type: 'boolean' | 'string', fields: readonly FieldDefinition[]): string {
  const kinds = [...new Set(fields.map((f) => f.fieldType || 'field'))].join(', ');
  const meaning = type === 'boolean' ? 'true or false' : answersOf(fields) ? "the chosen answer's label" : 'its text';
  return `Custom field ${JSON.stringify(name)} of ${stream} (${kinds}): ${meaning}. properties keeps the value as the API sent it.`;
}

/** A column's schema, as discovered. */
export function columnSchema(column: CustomColumn): JsonSchema {
  return { type: ['null', column.type], description: column.description };
}

/** The columns of a stream as schema properties, in the order of the stream's sources. */
export function columnProperties(sources: readonly CustomSource[]): Record<string, JsonSchema> {
  return Object.fromEntries(sources.flatMap((s) => s.columns.map((c) => [c.column, columnSchema(c)] as const)));
}

// ------------------------------------------------------------------------------ reading the definitions

/**
 * The definitions in the answers of `GET /settings` and `GET /tickets/settings` (either may be missing:
 * undefined). Every member is read loosely: a list that is not there, or not a list, is no definition;
 * an element without a name is skipped. Ticket fields listed in both answers count once (by id).
 */
export function readDefinitions(settings: unknown, ticketSettings: unknown): Definitions {
  const section = (name: string): JsonObject => {
    const value = isPlainObject(settings) ? settings[name] : undefined;
    return isPlainObject(value) ? value : {};
  };
  const customers = section('customers');
  const assets = section('assets');
  const ticket = section('ticket');
  const assetTypeNames = new Map(objects(assets.asset_types).map((t) => [text(t.id), text(t.name)]));
  const ticketFields = [
    ...objects(isPlainObject(ticketSettings) ? ticketSettings.ticket_types : undefined).flatMap((type) =>
      objects(type.ticket_fields).map((field) => ({ ...field, ticket_type_id: field.ticket_type_id ?? type.id })),
    ),
    ...objects(isPlainObject(ticketSettings) ? ticketSettings.ticket_type_fields : undefined),
    ...objects(ticket.ticket_type_fields),
  ];
  return {
    tickets: definitionsOf(
      ticketFields,
      [ticket.ticket_type_field_answers, isPlainObject(ticketSettings) ? ticketSettings.ticket_type_field_answers : undefined],
      (f) => (f.ticket_type_id == null ? undefined : text(f.ticket_type_id)),
    ),
    customers: definitionsOf(objects(customers.customer_fields), [customers.customer_field_answers], () => undefined),
    customer_assets: definitionsOf(objects(assets.asset_type_fields), [assets.asset_type_field_answers], (f) => {
      // Asset records name their type (asset_type: "Laptop"); a field names its type's id, or its name.
      const id = f.asset_type_id == null ? undefined : text(f.asset_type_id);
      const name = id !== undefined ? assetTypeNames.get(id) : undefined;
      return (
        name ?? (typeof f.asset_type_name === 'string' ? f.asset_type_name : typeof f.asset_type === 'string' ? f.asset_type : undefined)
      );
    }),
  };
}

function definitionsOf(
  fields: JsonObject[],
  answerLists: unknown[],
  recordType: (field: JsonObject) => string | undefined,
): FieldDefinition[] {
  // An answer of the flat lists names its field in a member ending in field_id (ticket_field_id…): indexed once.
  const flatAnswers = new Map<string, JsonObject[]>();
  for (const answer of answerLists.flatMap((list) => objects(list)))
    for (const [key, value] of Object.entries(answer))
      if (key.endsWith('field_id') && value != null) {
        const list = flatAnswers.get(text(value)) ?? [];
        list.push(answer);
        flatAnswers.set(text(value), list);
      }
  const seen = new Set<string>();
  const out: FieldDefinition[] = [];
  for (const field of fields) {
    if (typeof field.name !== 'string' || field.name === '') continue;
    const id = field.id == null ? undefined : text(field.id);
    const type = recordType(field);
    const dedupe = id ?? `${type ?? ''}\u0000${field.name}`;
    if (seen.has(dedupe)) continue;
    seen.add(dedupe);
    const own = objects(field.answers);
    const listed = id === undefined ? [] : (flatAnswers.get(id) ?? []);
    const answers = [...own, ...listed].filter((a) => a.id != null && typeof a.content === 'string');
    out.push({
      id,
      name: field.name,
      fieldType: typeof field.field_type === 'string' ? field.field_type : '',
      hidden: field.hidden === true || field.hidden === 'true' || field.hidden === 1 || field.hidden === '1',
      recordType: type,
      answers: answers.length === 0 ? undefined : Object.fromEntries(answers.map((a) => [text(a.id), a.content as string])),
    });
  }
  return out;
}

function objects(value: unknown): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function text(value: unknown): string {
  return typeof value === 'string' ? value : JSON.stringify(value);
}
