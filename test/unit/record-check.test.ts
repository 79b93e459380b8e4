import { expect } from 'chai';
import { Ajv } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import type { JsonSchema } from '../../src/protocol/catalog.js';
import { streamSchema } from '../../src/protocol/catalog.js';
import { loadAjv, needsAjv, recordCheck } from '../../src/records/record-check.js';
import { STREAMS } from '../../src/streams.js';

/** The reference: ajv as the tap's fallback runs it (every error, date-time by ajv-formats' fast pattern). */
function reference(schema: JsonSchema) {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv, { formats: ['date-time'], mode: 'fast' });
  const validate = ajv.compile(schema);
  return (record: unknown) => {
    const passes = validate(record);
    const failing = new Set((validate.errors ?? []).map((e) => e.instancePath.split('/')[1]).filter((n): n is string => !!n));
    return { passes, failing };
  };
}

/** A deterministic generator of values: those that fit a schema, and values of every JSON type. */
function values(seed: number) {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  const ANY: unknown[] = [
    null,
    true,
    false,
    0,
    1,
    -3,
    2.5,
    1e21,
    '',
    'x',
    '12',
    '1.5',
    'true',
    '2024-01-02T03:04:05Z',
    '2024-01-02 03:04:05',
    '2024-13-02T03:04:05Z',
    '2024-01-02T03:04:05+05:30',
    {},
    { a: 1 },
    [],
    [1, 'a'],
    [{}],
    [null],
  ];
  const fitting = (schema: JsonSchema, depth: number): unknown => {
    const types = schema.type === undefined ? ['string'] : Array.isArray(schema.type) ? schema.type : [schema.type];
    switch (pick(types)) {
      case 'null':
        return null;
      case 'boolean':
        return next() < 0.5;
      case 'integer':
        return Math.floor(next() * 1000);
      case 'number':
        return next() * 100;
      case 'string':
        return schema.format === 'date-time' ? '2025-06-07T08:09:10.123Z' : 'text';
      case 'array':
        return schema.items && depth < 3 ? [value(schema.items, depth + 1), value(schema.items, depth + 1)] : [];
      default:
        return object(schema, depth + 1);
    }
  };
  const value = (schema: JsonSchema, depth: number): unknown => (next() < 0.85 ? fitting(schema, depth) : pick(ANY));
  const object = (schema: JsonSchema, depth: number): Record<string, unknown> => {
    const out: Record<string, unknown> = {};
    for (const [name, member] of Object.entries(schema.properties ?? {})) if (next() < 0.9) out[name] = value(member, depth);
    if (next() < 0.1) out.not_in_the_schema = pick(ANY);
    return out;
  };
  return { object };
}

describe('record check: the same answers as ajv', () => {
  for (const def of STREAMS) {
    it(`${def.name}: 400 records of drifted values, passes and failing properties as ajv says`, () => {
      const schema = streamSchema(def.name);
      const check = recordCheck(schema);
      const ajv = reference(schema);
      const { object } = values(def.name.length * 7919);
      let failed = 0;
      for (let i = 0; i < 400; i++) {
        const record = object(schema, 0);
        const expected = ajv(record);
        const label = JSON.stringify(record);
        expect(check.passes(record), label).to.equal(expected.passes);
        if (!expected.passes) {
          failed++;
          expect([...check.failing(record)].sort(), label).to.deep.equal([...expected.failing].sort());
        }
      }
      expect(failed, 'records that fail').to.be.greaterThan(40);
    });
  }

  it('names only the properties asked for', () => {
    const check = recordCheck(streamSchema('tickets'));
    const record = { id: 1, number: 'x', subject: 3 };
    expect([...check.failing(record)].sort()).to.deep.equal(['number', 'subject']);
    expect([...check.failing(record, ['subject'])]).to.deep.equal(['subject']);
  });

  it('a member named __proto__ is read as the record’s own, and absent when the record has none', () => {
    const schema = JSON.parse('{"type": "object", "properties": {"__proto__": {"type": ["null", "integer"]}}}') as JsonSchema;
    const check = recordCheck(schema);
    expect(check.passes(JSON.parse('{"id": 1}') as Record<string, unknown>)).to.equal(true);
    expect(check.passes(JSON.parse('{"id": 1, "__proto__": 5}') as Record<string, unknown>)).to.equal(true);
    expect(check.passes(JSON.parse('{"id": 1, "__proto__": "x"}') as Record<string, unknown>)).to.equal(false);
  });

  it('a catalog’s own keywords (enum, minimum) are checked, by ajv once loaded, with the failing properties named', async () => {
    const schema: JsonSchema = {
      type: 'object',
      properties: { id: { type: 'integer', minimum: 1 }, status: { type: 'string', enum: ['New', 'Resolved'] } },
    };
    expect(needsAjv(schema)).to.equal(true);
    expect(needsAjv(streamSchema('tickets'))).to.equal(false);
    await loadAjv();
    const check = recordCheck(schema);
    expect(check.passes({ id: 1, status: 'New' })).to.equal(true);
    expect(check.passes({ id: 1, status: 'Lost' })).to.equal(false);
    expect([...check.failing({ id: 0, status: 'Lost' })].sort()).to.deep.equal(['id', 'status']);
    expect([...check.failing({ id: 0, status: 'Lost' }, ['status'])]).to.deep.equal(['status']);
  });
});
