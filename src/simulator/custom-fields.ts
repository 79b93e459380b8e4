/**
 * Custom fields as a RepairShopr account has them (docs/api.md#custom-fields): the definitions that
 * `GET /settings` and `GET /tickets/settings` list, and each record's `properties`, keyed by the field's
 * name verbatim (trailing spaces kept), a drop-down's answer id as text (sometimes as a number), a check box
 * "1"/"0", unset values absent or "". A few values do not fit their definition, as writers leave them: an
 * answer id no longer listed, free text in a drop-down, a check box "yes", a number in a text field. The
 * definitions are fixed; the values are drawn by seed, record and revision, and `customFieldTruth` says
 * what each one means, for the tests.
 */
import { Gen } from './gen.js';
import { mix } from './prng.js';
import { streamHash, type Ctx, type JsonObject, type JsonValue } from './record-context.js';

type FieldType = 'text_field' | 'text_area' | 'select_box' | 'check_box' | 'date_field';

interface Field {
  id: number;
  name: string;
  field_type: FieldType;
  hidden: boolean;
  /** A ticket type's id, an asset type's id; none for customers. */
  typeId?: number;
  answers: { id: number; content: string }[];
}

const TICKET_TYPES = ['Hardware', 'Software', 'Réseau', 'In Warranty', 'Out of Warranty', 'Data Recovery'];
/** The simulator's asset types (words.ts ASSET_TYPES), ids from 1. */
const ASSET_TYPES = ['Laptop', 'Desktop', 'Server', 'Printer', 'Router', 'Phone', 'Dodrio'];

let nextField = 116_500;
let nextAnswer = 69_470;
function field(name: string, field_type: FieldType, typeId?: number, labels: string[] = [], hidden = false): Field {
  return { id: nextField++, name, field_type, hidden, typeId, answers: labels.map((content) => ({ id: nextAnswer++, content })) };
}

/** Above every listed answer's id. */
const UNLISTED_ANSWER = 90_000;

const WARRANTY = ['In Warranty ', 'Out of Warranty', 'ADH'];
const YES_NO = ['Yes', 'No'];

/** Ticket fields, by ticket type: names shared across types, one name a check box in one type and text in another, Notes and notes. */
const TICKET_FIELDS: Field[] = [
  field('Warranty ', 'select_box', 1, WARRANTY),
  field('Service Order No. ', 'text_field', 1),
  field('Model No.:', 'text_field', 1),
  field('Password', 'text_field', 1, [], true),
  field('Rush', 'check_box', 1),
  field('Warranty ', 'select_box', 2, WARRANTY),
  field('Backup Requires', 'select_box', 2, YES_NO),
  field('Date Received', 'date_field', 2),
  field('Confidential', 'text_field', 2, [], true),
  field('IMEI', 'text_field', 3),
  field('Rush', 'check_box', 3),
  field('Confidential', 'text_area', 3),
  field('Notes', 'text_area', 3),
  field('Warranty ', 'select_box', 4, WARRANTY),
  field('notes', 'text_field', 4),
  field('Rush', 'text_field', 4),
  field('Backup Requires', 'select_box', 5, YES_NO),
  field('Model No.:', 'text_field', 5),
  field('Item Condition ', 'text_area', 5),
  field('Password', 'text_field', 6, [], true),
  field('Special Requirement ', 'text_area', 6),
];

const CUSTOMER_FIELDS: Field[] = [
  field('Tier', 'select_box', undefined, ['Gold', 'Silver', 'Bronze']),
  field('Reg No.', 'text_field'),
  field('Vat No.', 'text_field'),
  field('VIP', 'check_box'),
  field('Portal PIN', 'text_field', undefined, [], true),
];

const OS = ['Windows 11', 'Windows 10', 'macOS 14', 'Ubuntu 24.04'];
const ASSET_FIELDS: Field[] = [
  field('Model No.:', 'text_field', 1),
  field('OS', 'select_box', 1, OS),
  field('Warranty?', 'check_box', 1),
  field('Model No.:', 'text_field', 2),
  field('OS', 'select_box', 2, OS),
  field('Warranty?', 'check_box', 2),
  field('OS', 'select_box', 3, OS),
  field('RAID level', 'select_box', 3, ['RAID 1', 'RAID 5', 'RAID 10']),
  field('Toner', 'select_box', 4, ['Black', 'Colour']),
  field('IMEI No.', 'text_field', 6),
];

const FIELDS = { tickets: TICKET_FIELDS, customers: CUSTOMER_FIELDS, customer_assets: ASSET_FIELDS } as const;
export type CustomFieldStream = keyof typeof FIELDS;
export const CUSTOM_FIELD_STREAMS = Object.keys(FIELDS) as CustomFieldStream[];

const STAMP = '2017-10-04T15:33:19.485+02:00';
const ACCOUNT = 28_393;

/** A field as the API lists it (the recorded ticket field's members); its answers nested, or left to a flat list. */
function listed(f: Field, typeKey: string | undefined, nested: boolean, answerKey: string): JsonObject {
  const out: JsonObject = { id: f.id, name: f.name, field_type: f.field_type, required: false, account_id: ACCOUNT };
  out.created_at = STAMP;
  out.updated_at = STAMP;
  if (typeKey !== undefined) out[typeKey] = f.typeId ?? null;
  out.hidden = f.hidden;
  out.position = null;
  if (nested) out.answers = f.answers.map((a) => answer(a, f.id, answerKey));
  return out;
}

function answer(a: { id: number; content: string }, fieldId: number, key: string): JsonObject {
  return { [key]: fieldId, content: a.content, created_at: STAMP, updated_at: STAMP, account_id: ACCOUNT, id: a.id };
}

/** GET /settings: the customer and asset definitions (their answers in flat lists), and the ticket ones flat. */
export function settingsAnswer(): JsonObject {
  const flat = (fields: Field[], key: string) => fields.flatMap((f) => f.answers.map((a) => answer(a, f.id, key)));
  return {
    customers: {
      required_fields: null,
      customer_fields: CUSTOMER_FIELDS.map((f) => listed(f, undefined, false, '')),
      customer_field_answers: flat(CUSTOMER_FIELDS, 'customer_field_id'),
    },
    assets: {
      asset_types: ASSET_TYPES.map((name, i) => ({ id: i + 1, name, account_id: ACCOUNT })),
      asset_type_fields: ASSET_FIELDS.map((f) => listed(f, 'asset_type_id', true, 'asset_type_field_id')),
      asset_type_field_answers: flat(ASSET_FIELDS, 'asset_type_field_id'),
    },
    ticket: {
      ticket_types: ticketTypes(false),
      ticket_type_fields: TICKET_FIELDS.map((f) => listed(f, 'ticket_type_id', false, '')),
      ticket_type_field_answers: flat(TICKET_FIELDS, 'ticket_field_id'),
      problem_types: ['Virus', 'TuneUp', 'Hardware', 'Software', 'Other'],
    },
    locale: { currency: 'USD' },
    business_hours_enabled: false,
  };
}

/** GET /tickets/settings: the ticket types, each with its fields and their answers nested (as the recorded ticket_type). */
export function ticketSettingsAnswer(): JsonObject {
  return {
    ticket_status_list: [
      'New',
      'In Progress',
      'Resolved',
      'Invoiced',
      'Waiting for Parts',
      'Waiting on Customer',
      'Scheduled',
      'Customer Reply',
    ],
    ticket_types: ticketTypes(true),
    appointment_types: [],
    users: [{ id: 1, name: 'Bat Man' }],
  };
}

function ticketTypes(withFields: boolean): JsonObject[] {
  return TICKET_TYPES.map((name, i) => {
    const type: JsonObject = { name, account_id: ACCOUNT, created_at: STAMP, updated_at: STAMP, disabled: false, id: i + 1 };
    if (withFields)
      type.ticket_fields = TICKET_FIELDS.filter((f) => f.typeId === i + 1).map((f) => listed(f, 'ticket_type_id', true, 'ticket_field_id'));
    return type;
  });
}

/** What one field's value in a record means: a label, a boolean, text, or null; or a value that fits no definition, as served. */
export interface FieldTruth {
  name: string;
  field_type: FieldType;
  hidden: boolean;
  meaning: string | boolean | null;
  /** The value does not fit the definition: this is what was served. */
  misfit?: JsonValue;
}

/** GET /__admin/custom-fields: for each record of the streams with custom fields, what its values mean. */
export type CustomFieldTruth = Record<CustomFieldStream, Record<number, FieldTruth[]>>;

/** A record's custom `properties`, and what each defined field's value means. */
export interface CustomProperties {
  properties: JsonObject;
  truth: FieldTruth[];
}

const TEXTS = ['GCDGS8CGUSEDCUIW', 'SM-A705X', 'Testing condition', 'Büro, 2. Stock', 'scratched lid ', '3589759923949171234', 'N/A'];

/**
 * The custom part of a record's properties, for a record of `type` (a ticket type's id, an asset type's
 * name; customers have none), drawn by seed, record and revision. Other keys of the object (notification
 * flags, an agent's data) are the builders'.
 */
export function customProperties(seed: number, stream: CustomFieldStream, id: number, revision: number, type: unknown): CustomProperties {
  const g = new Gen(mix(seed, streamHash(stream), id, revision, 0xcf));
  const fields = fieldsFor(stream, type);
  const properties: JsonObject = {};
  const truth: FieldTruth[] = [];
  for (const f of fields) {
    const roll = g.float();
    const base = { name: f.name, field_type: f.field_type, hidden: f.hidden };
    if (roll < 0.12) continue; // never set: absent
    if (roll < 0.2) {
      properties[f.name] = '';
      truth.push({ ...base, meaning: null });
      continue;
    }
    const odd = g.float() < 0.04;
    const [served, meaning, misfit] = valueOf(f, g, odd);
    properties[f.name] = served;
    truth.push(misfit ? { ...base, meaning: null, misfit: served } : { ...base, meaning });
  }
  return { properties, truth };
}

/** The fields a record of a type has: its type's, or, for a record without a known type, the one field of no type that writers use. */
function fieldsFor(stream: CustomFieldStream, type: unknown): Field[] {
  if (stream === 'customers') return CUSTOMER_FIELDS;
  const typeId = stream === 'customer_assets' ? ASSET_TYPES.indexOf(String(type)) + 1 : typeof type === 'number' ? type : 0;
  const own = FIELDS[stream].filter((f) => f.typeId === typeId);
  // A ticket without a type still holds an IMEI now and then (written before its type was cleared).
  return own.length > 0 || stream !== 'tickets' ? own : TICKET_FIELDS.filter((f) => f.name === 'IMEI');
}

/** A served value, its meaning, and whether it fits no definition. `odd`: the rare value a writer left that does not fit. */
function valueOf(f: Field, g: Gen, odd: boolean): [JsonValue, string | boolean | null, boolean] {
  switch (f.field_type) {
    case 'select_box': {
      // An answer since deleted (an id no field lists), or free text.
      if (odd) return g.chance(0.5) ? [String(UNLISTED_ANSWER + g.between(1, 99)), null, true] : ['maybe', null, true];
      const a = g.pick(f.answers);
      const form = g.float();
      // As text mostly (the real recording), as a number sometimes (the vendor's examples), its label now and then (a writer's free text).
      if (form < 0.7) return [String(a.id), a.content, false];
      if (form < 0.9) return [a.id, a.content, false];
      return [a.content, a.content, false];
    }
    case 'check_box': {
      if (odd) return ['yes', null, true];
      const on = g.chance(0.5);
      return [on ? '1' : '0', on, false];
    }
    case 'date_field': {
      const text = `2025-${String(g.between(1, 12)).padStart(2, '0')}-${String(g.between(1, 28)).padStart(2, '0')}`;
      return [text, text, false];
    }
    default: {
      if (odd) {
        const n = g.between(1000, 99_999);
        return [n, String(n), false];
      }
      const text = g.pick(TEXTS);
      return [text, text, false];
    }
  }
}

/** `record` with its properties: `others` (keys that are no custom field) and its custom fields'. */
export function withCustomFields(c: Ctx, stream: CustomFieldStream, record: JsonObject, others: JsonObject = {}): JsonObject {
  const type = stream === 'tickets' ? record.ticket_type_id : stream === 'customer_assets' ? record.asset_type : undefined;
  record.properties = { ...others, ...customProperties(c.seed, stream, c.id, c.revision, type).properties };
  return record;
}
