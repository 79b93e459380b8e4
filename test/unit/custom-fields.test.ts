import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  COLUMN_PREFIX,
  columnBase,
  customSources,
  isCheckBox,
  readDefinitions,
  type Definitions,
  type FieldDefinition,
} from '../../src/records/custom-fields.js';
import { CustomValues } from '../../src/records/custom-values.js';
import { recordShaper } from '../../src/records/records.js';
import type { Drift } from '../../src/records/conform.js';
import { DRIFTED } from '../../src/records/conform.js';

/** A ticket field as the real recorded RepairShopr answer holds it (docs/api.md#custom-fields). */
const RECORDED_FIELD = {
  id: 116505,
  name: 'Backup Requires',
  field_type: 'select_box',
  required: true,
  account_id: 28393,
  created_at: '2017-10-04T15:33:19.485+02:00',
  updated_at: '2017-10-10T16:51:56.928+02:00',
  ticket_type_id: 21878,
  hidden: false,
  position: 3,
  answers: [
    { ticket_field_id: 116505, content: 'Yes', account_id: 28393, id: 69752 },
    { ticket_field_id: 116505, content: 'No', account_id: 28393, id: 69753 },
  ],
};

const none: Definitions = { tickets: [], customers: [], customer_assets: [] };
const def = (f: Partial<FieldDefinition> & { name: string }): FieldDefinition => ({ fieldType: 'text_field', hidden: false, ...f });

describe('custom fields: definitions to columns', () => {
  it('names a column with the prefix and the name in snake case, accents dropped, cut to fit PostgreSQL', () => {
    expect(columnBase('Warranty ', '1')).to.equal('cf_warranty');
    expect(columnBase('Model No.:', '1')).to.equal('cf_model_no');
    expect(columnBase('Service Order No. ', '1')).to.equal('cf_service_order_no');
    expect(columnBase('Garantía Niño', '1')).to.equal('cf_garantia_nino');
    expect(columnBase('Location (BIN)', '1')).to.equal('cf_location_bin');
    expect(columnBase('保修', '4521')).to.equal('cf_field_4521');
    const long = columnBase('x'.repeat(200), '1');
    expect(long.length).to.be.at.most(59);
    expect(long).to.match(/^cf_x+$/);
  });

  it('no member of any stream schema starts with the prefix', () => {
    const dir = join(import.meta.dirname, '..', '..', 'schemas');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'settings.json')) {
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as { properties: Record<string, unknown> };
      for (const name of Object.keys(schema.properties)) expect(name.startsWith(COLUMN_PREFIX), `${file}: ${name}`).to.equal(false);
    }
  });

  it('matches a check box loosely, never a drop-down or text', () => {
    for (const t of ['check_box', 'checkbox', 'Check Box', 'boolean']) expect(isCheckBox(t), t).to.equal(true);
    for (const t of ['select_box', 'text_field', 'text_area', 'date_field', '']) expect(isCheckBox(t), t).to.equal(false);
  });

  it('reads the recorded ticket field shape, its answers nested, and answers of the flat lists by their *_field_id', () => {
    const definitions = readDefinitions(
      {
        customers: {
          customer_fields: [{ id: 9, name: 'Tier', field_type: 'select_box', hidden: false }],
          customer_field_answers: [
            { id: 90, customer_field_id: 9, content: 'Gold' },
            { id: 91, customer_field_id: 8, content: 'Other field' },
          ],
        },
        assets: {
          asset_types: [{ id: 3, name: 'Laptop' }],
          asset_type_fields: [{ id: 30, name: 'OS', field_type: 'select_box', asset_type_id: 3, answers: [{ id: 300, content: 'Linux' }] }],
        },
        ticket: { ticket_type_fields: [RECORDED_FIELD] },
      },
      {
        ticket_types: [
          { id: 21878, name: 'Out of Warranty', ticket_fields: [RECORDED_FIELD, { id: 7, name: 'IMEI', field_type: 'text_field' }] },
        ],
      },
    );
    expect(definitions.tickets).to.deep.equal([
      {
        id: '116505',
        name: 'Backup Requires',
        fieldType: 'select_box',
        hidden: false,
        recordType: '21878',
        answers: { '69752': 'Yes', '69753': 'No' },
      },
      { id: '7', name: 'IMEI', fieldType: 'text_field', hidden: false, recordType: '21878', answers: undefined },
    ]);
    expect(definitions.customers[0]!.answers).to.deep.equal({ '90': 'Gold' });
    // Asset records name their type: a field's asset_type_id is read as its type's name.
    expect(definitions.customer_assets[0]!.recordType).to.equal('Laptop');
  });

  it('reads no definition from answers without them (the vendor examples: empty lists, or none at all)', () => {
    expect(readDefinitions(undefined, undefined)).to.deep.equal(none);
    expect(
      readDefinitions({ customers: { customer_fields: [] }, ticket: 'x' }, { ticket_types: [{ id: 1, ticket_fields: [{ id: 2 }] }] }),
    ).to.deep.equal(none);
  });

  it('gives one column per name and kind; hidden fields none; ticket types share a name', () => {
    const sources = customSources({
      ...none,
      tickets: [
        def({ id: '1', name: 'Warranty ', fieldType: 'select_box', recordType: '1', answers: { '10': 'Yes' } }),
        def({ id: '2', name: 'Warranty ', fieldType: 'select_box', recordType: '2', answers: { '20': 'Expired' } }),
        def({ id: '3', name: 'Password', recordType: '1', hidden: true }),
        def({ id: '4', name: 'Rush', fieldType: 'check_box', recordType: '1' }),
        def({ id: '5', name: 'Rush', fieldType: 'text_field', recordType: '2' }),
        def({ id: '6', name: 'Confidential', recordType: '1', hidden: true }),
        def({ id: '7', name: 'Confidential', recordType: '2' }),
      ],
    }).tickets;
    const columns = sources.flatMap((s) => s.columns.map((c) => `${s.name}→${c.column}:${c.type}`));
    expect(columns).to.deep.equal([
      'Warranty →cf_warranty:string',
      'Rush→cf_rush:boolean',
      'Rush→cf_rush_2:string',
      'Confidential→cf_confidential:string',
    ]);
    expect(sources[0]!.columns[0]!.answers).to.deep.equal({ '10': 'Yes', '20': 'Expired' });
    expect(sources.find((s) => s.name === 'Rush')!.byType).to.deep.equal({
      '1': { column: 0, answers: undefined },
      '2': { column: 1, answers: undefined },
    });
    // Password: hidden everywhere, a name and no column.
    expect(customSources({ ...none, tickets: [def({ id: '3', name: 'Password', recordType: '1', hidden: true })] }).tickets).to.deep.equal([
      { name: 'Password', columns: [], otherwise: null, byType: { '1': null } },
    ]);
    const confidential = sources.find((s) => s.name === 'Confidential')!;
    expect(confidential.byType).to.deep.equal({ '1': null, '2': { column: 0, answers: undefined } });
    // Hidden in one type: a record of no known type fills nothing (the value may be a secret).
    expect(confidential.otherwise).to.equal(null);
  });

  it('hiding a field renames no column: hidden fields keep their names taken', () => {
    const fields = [
      def({ id: '1', name: 'Rush', fieldType: 'check_box', recordType: '1' }),
      def({ id: '2', name: 'Rush', recordType: '2' }),
    ];
    const before = customSources({ ...none, tickets: fields }).tickets;
    const after = customSources({ ...none, tickets: [{ ...fields[0]!, hidden: true }, fields[1]!] }).tickets;
    expect(before[0]!.columns.map((c) => c.column)).to.deep.equal(['cf_rush', 'cf_rush_2']);
    expect(after[0]!.columns.map((c) => [c.column, c.type])).to.deep.equal([['cf_rush_2', 'string']]);
  });

  it('reads a few thousand definitions in linear time', () => {
    const fields = Array.from({ length: 8000 }, (_, i) => ({ id: i, name: `F${i}`, field_type: 'select_box', ticket_type_id: i % 50 }));
    const answers = Array.from({ length: 40_000 }, (_, i) => ({ id: 100_000 + i, ticket_field_id: i % 8000, content: `A${i}` }));
    const started = process.hrtime.bigint();
    const sources = customSources(
      readDefinitions({ ticket: { ticket_type_fields: fields, ticket_type_field_answers: answers } }, undefined),
    ).tickets;
    expect(sources).to.have.length(8000);
    expect(Object.keys(sources[7]!.columns[0]!.answers!)).to.have.length(5);
    // Not a duration assertion on the machine's speed: quadratic reading took over a minute here, linear well under one.
    expect(Number(process.hrtime.bigint() - started) / 1e9).to.be.below(30);
  });

  it('tells apart names that read the same by first definition, so a field added later renames no column', () => {
    const before = customSources({ ...none, customers: [def({ id: '20', name: 'notes' })] }).customers;
    const after = customSources({
      ...none,
      customers: [def({ id: '31', name: 'Notes' }), def({ id: '20', name: 'notes' }), def({ id: '32', name: 'NOTES ' })],
    }).customers;
    expect(before.map((s) => s.columns[0]!.column)).to.deep.equal(['cf_notes']);
    expect(after.map((s) => [s.name, s.columns[0]!.column])).to.deep.equal([
      ['notes', 'cf_notes'],
      ['Notes', 'cf_notes_2'],
      ['NOTES ', 'cf_notes_3'],
    ]);
  });
});

describe('custom fields: a record’s values', () => {
  const tickets = customSources({
    ...none,
    tickets: [
      def({
        id: '1',
        name: 'Warranty ',
        fieldType: 'select_box',
        recordType: '1',
        answers: { '69476': 'In Warranty ', '69477': 'Out of Warranty' },
      }),
      def({ id: '2', name: 'Rush', fieldType: 'check_box', recordType: '1' }),
      def({ id: '3', name: 'Rush', fieldType: 'text_field', recordType: '2' }),
      def({ id: '4', name: 'IMEI', recordType: '1' }),
      def({ id: '5', name: 'Confidential', recordType: '1' }),
      def({ id: '6', name: 'Confidential', recordType: '2', hidden: true }),
    ],
  }).tickets;
  const fill = (record: Record<string, unknown>, declaresDrifted = true) => {
    const drifts: Drift[] = [];
    const names = tickets.map((t) => t.name);
    const drifted = new CustomValues({ sources: tickets, names, typeMember: 'ticket_type_id', declaresDrifted }).fill(record, 7, drifts);
    return { record, drifted, drifts };
  };

  it('a drop-down’s answer id (as text or a number) or label becomes the label; a check box a boolean; text stays; unset is null', () => {
    const cases: [unknown, unknown, unknown, unknown][] = [
      ['69477', '1', 'SN 1 ', 'Out of Warranty'],
      [69476, '0', '', 'In Warranty '],
      ['In Warranty ', 1, undefined, 'In Warranty '],
      [' 69477', 'true', null, 'Out of Warranty'],
    ];
    for (const [warranty, rush, imei, label] of cases) {
      const properties: Record<string, unknown> = { 'Warranty ': warranty, Rush: rush };
      if (imei !== undefined) properties.IMEI = imei;
      const { record, drifts } = fill({ id: 7, ticket_type_id: 1, properties });
      expect(record.cf_warranty, String(warranty)).to.equal(label);
      expect(record.cf_rush).to.equal(rush === '1' || rush === 1 || rush === 'true');
      expect(record.cf_imei).to.equal(imei === '' || imei === undefined || imei === null ? null : imei);
      expect(record.cf_rush_2).to.equal(null);
      expect(record.properties).to.equal(properties);
      expect(drifts).to.deep.equal([]);
    }
  });

  it('a value that fits no definition goes to DRIFTED as sent, under the column, with a drift naming the column', () => {
    const { record, drifted, drifts } = fill({
      id: 7,
      ticket_type_id: 1,
      properties: { 'Warranty ': '90001', Rush: 'yes', IMEI: { a: 1 } },
    });
    expect([record.cf_warranty, record.cf_rush, record.cf_imei]).to.deep.equal([null, null, null]);
    expect(drifted).to.deep.equal({ cf_warranty: '90001', cf_rush: 'yes', cf_imei: { a: 1 } });
    expect(drifts.map((d) => [d.path[0], d.action])).to.deep.equal([
      ['cf_warranty', 'moved'],
      ['cf_rush', 'moved'],
      ['cf_imei', 'moved'],
    ]);
    expect(drifts[0]!.widening).to.equal(undefined);
    expect(fill({ id: 7, properties: { 'Warranty ': 'maybe' } }, false).drifts[0]!.widening).to.deep.equal({ declareDrifted: true });
  });

  it('a number in a text field is its text, said as a coercion', () => {
    const { record, drifts } = fill({ id: 7, ticket_type_id: 1, properties: { IMEI: 123456789 } });
    expect(record.cf_imei).to.equal('123456789');
    expect(drifts.map((d) => [d.path[0], d.action, d.to])).to.deep.equal([['cf_imei', 'coerced', 'string']]);
  });

  it('a field goes to the column of the record’s type; a type that hides it fills none; an unknown type the first, unless a type hides it', () => {
    const type2 = fill({ id: 7, ticket_type_id: '2', properties: { Rush: 'today', Confidential: 'secret' } }).record;
    expect([type2.cf_rush, type2.cf_rush_2, type2.cf_confidential]).to.deep.equal([null, 'today', null]);
    const unknown = fill({ id: 7, ticket_type_id: null, properties: { Rush: '1', Confidential: 'open' } }).record;
    // Confidential is hidden in type 2: nothing for a record of no known type.
    expect([unknown.cf_rush, unknown.cf_rush_2, unknown.cf_confidential]).to.deep.equal([true, null, null]);
  });

  it('a text field of one type that shares its name with another type’s drop-down is read as text', () => {
    const sources = customSources({
      ...none,
      tickets: [
        def({ id: '1', name: 'Warranty', fieldType: 'select_box', recordType: '1', answers: { '10': 'Yes' } }),
        def({ id: '2', name: 'Warranty', recordType: '2' }),
      ],
    }).tickets;
    const fill = (record: Record<string, unknown>) => {
      new CustomValues({ sources, names: ['Warranty'], typeMember: 'ticket_type_id', declaresDrifted: true }).fill(record, 1, []);
      return record.cf_warranty;
    };
    expect(fill({ ticket_type_id: 1, properties: { Warranty: '10' } })).to.equal('Yes');
    expect(fill({ ticket_type_id: 2, properties: { Warranty: '10' } })).to.equal('10');
    expect(fill({ ticket_type_id: 2, properties: { Warranty: '2 years' } })).to.equal('2 years');
  });

  it('never reads a hidden field’s value into a column: not by its trimmed key, not for a record of unknown type', () => {
    const sources = customSources({
      ...none,
      customers: [def({ id: '1', name: 'PIN' }), def({ id: '2', name: 'PIN ', hidden: true })],
    }).customers;
    const record: Record<string, unknown> = { properties: { 'PIN ': 'secret-1234' } };
    new CustomValues({ sources, names: sources.map((s) => s.name), declaresDrifted: true }).fill(record, 1, []);
    expect(record.cf_pin).to.equal(null);
    const unknown = fill({ id: 7, ticket_type_id: 99, properties: { Confidential: 'hunter2' } }).record;
    expect(unknown.cf_confidential).to.equal(null);
  });

  it('finds a name whose key differs by spaces around it; properties that are no object leave every column null', () => {
    expect(fill({ id: 7, ticket_type_id: 1, properties: { Warranty: '69477' } }).record.cf_warranty).to.equal('Out of Warranty');
    const { record, drifts } = fill({ id: 7, ticket_type_id: 1, properties: [] });
    expect(Object.entries(record).filter(([k]) => k.startsWith('cf_'))).to.deep.equal(
      ['cf_warranty', 'cf_rush', 'cf_rush_2', 'cf_imei', 'cf_confidential'].map((c) => [c, null]),
    );
    expect(drifts).to.deep.equal([]);
  });

  it('the shaper fills the columns before fields are cut, and keeps the API’s own _drifted apart from the columns’', () => {
    const schema = {
      type: 'object',
      properties: {
        id: { type: 'integer' },
        cf_warranty: { type: ['null', 'string'] },
        cf_rush: { type: ['null', 'boolean'] },
        [DRIFTED]: { type: ['null', 'object'] },
      },
    };
    const shaper = recordShaper(schema, undefined, new Set(['id', 'cf_warranty', 'cf_rush', DRIFTED]), {
      customFields: { sources: tickets.slice(0, 2), names: ['Warranty ', 'Rush'], typeMember: 'ticket_type_id', declaresDrifted: true },
    });
    const shaped = shaper.shape({ id: 7, ticket_type_id: 1, properties: { 'Warranty ': '69476', Rush: 'yes' }, [DRIFTED]: 'the API’s' })!;
    expect(shaped.asIs).to.equal(false);
    expect(shaped.record).to.deep.equal({
      id: 7,
      cf_warranty: 'In Warranty ',
      cf_rush: null,
      [DRIFTED]: { [DRIFTED]: 'the API’s', cf_rush: 'yes' },
    });
    expect(shaped.drifts.map((d) => d.path.join('.'))).to.include('cf_rush');
  });
});

describe('custom fields: the example of the README and docs/custom-fields.md', () => {
  it('a ticket of type "Out of Warranty" (the recorded answers’ ids and labels) gets the columns the README and docs/custom-fields.md show', () => {
    // The recorded ticket's type 21878 and its "Warranty " answers; Rush and Model No.: as docs/custom-fields.md adds them.
    const definitions = readDefinitions(undefined, {
      ticket_types: [
        {
          id: 21878,
          name: 'Out of Warranty',
          ticket_fields: [
            {
              id: 116500,
              name: 'Warranty ',
              field_type: 'select_box',
              hidden: false,
              answers: [
                { id: 69476, ticket_field_id: 116500, content: 'In Warranty ' },
                { id: 69477, ticket_field_id: 116500, content: 'Out of Warranty' },
                { id: 69478, ticket_field_id: 116500, content: 'ADH' },
              ],
            },
            { id: 116501, name: 'Rush', field_type: 'check_box', hidden: false },
            { id: 116502, name: 'Model No.:', field_type: 'text_field', hidden: false },
            { id: 116503, name: 'Password', field_type: 'text_field', hidden: true },
          ],
        },
      ],
    });
    const properties = { 'Warranty ': '69477', Rush: '1', 'Model No.:': 'SM-A705X', Password: '1234' };
    const record: Record<string, unknown> = { id: 1, ticket_type_id: 21878, properties };
    const sources = customSources(definitions).tickets;
    new CustomValues({ sources, names: sources.map((t) => t.name), typeMember: 'ticket_type_id', declaresDrifted: true }).fill(
      record,
      1,
      [],
    );
    expect(record).to.deep.equal({
      id: 1,
      ticket_type_id: 21878,
      properties: { 'Warranty ': '69477', Rush: '1', 'Model No.:': 'SM-A705X', Password: '1234' },
      cf_warranty: 'Out of Warranty',
      cf_rush: true,
      cf_model_no: 'SM-A705X',
    });
  });
});
