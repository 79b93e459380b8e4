/**
 * End-to-end: the simulator serves drifted types (a share of records with one value of another JSON type,
 * nested ones included); the built tap's every RECORD conforms to the last SCHEMA of its stream, no record
 * is lost, and every drifted value is there with its meaning.
 */
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import { STREAMS } from '../../src/streams.js';
import { startSimulator, type DriftTruth, type Simulator } from '../../src/simulator/server.js';
import { idsByStream, runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';
import { selectOnly, type DiscoveredCatalog } from '../helpers/catalog.js';
import type { JsonSchema } from '../../src/protocol/catalog.js';

const DEFAULT_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);

/** Whether `out` is `served`, or what the tap's coercions make of it (README: "When the API sends something unexpected"). */
export function sameMeaning(out: unknown, served: unknown): boolean {
  if (JSON.stringify(out) === JSON.stringify(served)) return true;
  if (served === '') return out === null;
  if (typeof served === 'string' && typeof out === 'number') return Number(served.trim()) === out;
  if (typeof served === 'string' && typeof out === 'boolean') return ['true', '1'].includes(served.trim().toLowerCase()) === out;
  if ((typeof served === 'number' || typeof served === 'boolean') && typeof out === 'string') return out === JSON.stringify(served);
  return false;
}

export function valueAt(record: unknown, path: readonly string[]): unknown {
  let at = record;
  for (const step of path) at = typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[step] : undefined;
  return at;
}

/** Checks each RECORD against the last SCHEMA of its stream; returns the first failures. */
function nonConforming(messages: SingerMessage[]): string[] {
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  const failures: string[] = [];
  for (const m of messages) {
    if (m.type === 'SCHEMA') validators.set(m.stream!, ajv.compile(m.schema!));
    if (m.type !== 'RECORD') continue;
    const validate = validators.get(m.stream!);
    const valid: boolean = validate ? validate(m.record) : false;
    if (!valid)
      failures.push(`${m.stream!} id ${String(m.record!.id)}: ${validate ? ajv.errorsText(validate.errors) : 'RECORD before any SCHEMA'}`);
  }
  return failures.slice(0, 10);
}

describe('type drift end to end: every record conforms to its SCHEMA, nothing lost', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let run: TapRun;
  let drifts: DriftTruth;

  before(async () => {
    sim = await startSimulator({ records: 3000, seed: 11, rpm: 0, drift: 0.08 });
    drifts = sim.drifts();
    const config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    run = await runTap(['--config', config]);
  });
  after(async () => sim.close());

  it('the simulator drifts every kind of value, top-level and nested', () => {
    const kinds = new Set(Object.values(drifts).flatMap((list) => list.map((d) => d.kind)));
    expect([...kinds].sort()).to.deep.equal([
      'boolean-as-text',
      'decimal-as-number',
      'integer-as-text',
      'integer-as-word',
      'nested-integer-as-text',
      'nested-string-as-number',
      'object-as-array',
      'object-as-true',
      'string-as-object',
      'time-as-empty',
      'time-as-word',
    ]);
  });

  it('exits 0 without ERROR or CRITICAL lines', () => {
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(run.stderrLines.filter((l) => /^(ERROR|CRITICAL)/.test(l))).to.deep.equal([]);
  });

  it('every RECORD is valid against the last SCHEMA announced for its stream', () => {
    expect(nonConforming(run.messages)).to.deep.equal([]);
  });

  it('emits every id of every stream', () => {
    const truth = sim.truth();
    for (const stream of DEFAULT_STREAMS) {
      const emitted = new Set(run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record!.id));
      const missing = truth[stream as keyof typeof truth].filter((r) => !emitted.has(r.id)).map((r) => r.id);
      expect(missing, stream).to.deep.equal([]);
    }
  });

  it('every drifted value is in its record: as served, converted with the same meaning, or moved to _drifted', () => {
    const records = new Map<string, Record<string, unknown>>();
    for (const m of run.messages) if (m.type === 'RECORD') records.set(`${m.stream!} ${String(m.record!.id)}`, m.record!);
    let checked = 0;
    for (const [stream, list] of Object.entries(drifts)) {
      for (const drift of list) {
        const record = records.get(`${stream} ${drift.id}`);
        expect(record, `${stream} ${drift.id}`).to.not.equal(undefined);
        // A value that fits nowhere in place is in _drifted, as served, under its top-level property.
        const moved = (record?._drifted as Record<string, unknown> | undefined)?.[drift.path[0]!];
        const out = moved === undefined ? valueAt(record, drift.path) : valueAt({ [drift.path[0]!]: moved }, drift.path);
        if (moved !== undefined) expect(valueAt(record, [drift.path[0]!]), `${stream} ${drift.id}: moved, so null`).to.equal(null);
        expect(
          sameMeaning(out, drift.served),
          `${stream} ${drift.id} ${drift.path.join('.')}: ${JSON.stringify(out)} for ${JSON.stringify(drift.served)}`,
        ).to.equal(true);
        checked++;
      }
    }
    expect(checked).to.be.greaterThan(100);
  });

  it('announces a widened SCHEMA mid-stream where a value cannot be converted, with the key property never widened', () => {
    const schemas = run.messages.filter((m) => m.type === 'SCHEMA');
    expect(schemas.length).to.be.greaterThan(DEFAULT_STREAMS.length);
    for (const m of schemas) {
      const id = (m.schema!.properties as Record<string, { type: unknown }>).id!;
      expect(id.type, m.stream).to.equal('integer');
    }
  });

  it('says each drifted property once, naming stream, property, declared type, type seen and a record id: a conversion at INFO, the rest WARNING', () => {
    const warnings = run.stderrLines.filter((l) => /^(WARNING|INFO) stream /.test(l) && l.includes(' is declared '));
    expect(warnings.length).to.be.greaterThan(10);
    for (const line of warnings)
      expect(line).to.match(/^(WARNING|INFO) stream \w+: property [\w.[\]]+ is declared .+ but record id \d+ has \w+/);
    const said = warnings.map((l) =>
      /^(?:WARNING|INFO) stream (\w+): property (\S+) .*(converted|widened|_drifted object)/.exec(l)!.slice(1).join(' '),
    );
    expect(new Set(said).size, 'a property said twice').to.equal(said.length);
    // A value converted with the same meaning (a number where text is declared) needs no one's attention.
    const converted = warnings.filter((l) => l.includes('; such values are converted to '));
    expect(converted.length).to.be.greaterThan(0);
    for (const line of converted) expect(line).to.match(/^INFO /);
    expect(warnings.filter((l) => l.startsWith('WARNING')).length).to.be.greaterThan(0);
    for (const line of warnings.filter((l) => /widened|_drifted object/.test(l))) expect(line).to.match(/^WARNING /);
  });

  it('the run summary lists the drifted properties of each stream', () => {
    const drifted = run.stderrLines.filter((l) => /^INFO \w+ drifted: /.test(l));
    const streams = new Set(drifted.map((l) => /^INFO (\w+) drifted/.exec(l)![1]));
    const warned = new Set(
      run.stderrLines.filter((l) => l.includes(' is declared ')).map((l) => /^(?:WARNING|INFO) stream (\w+):/.exec(l)![1]),
    );
    expect([...streams].sort()).to.deep.equal([...warned].sort());
  });
});

describe('a catalog’s own keywords end to end: checked by ajv, loaded in the page workers when a schema needs it', function () {
  this.timeout(120_000);
  let sim: Simulator;
  before(async () => (sim = await startSimulator({ records: 600, seed: 3, rpm: 0 })));
  after(async () => sim.close());

  it('moves a value outside a catalog’s enum to _drifted, and writes every record', async () => {
    const config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const plain = await runTap(['--config', config, '--catalog', tempJson('catalog.json', selectOnly(['tickets']))]);
    const catalog = selectOnly(['tickets']);
    const tickets = catalog.streams.find((s) => s.stream === 'tickets') as DiscoveredCatalog['streams'][number] & { schema: JsonSchema };
    tickets.schema.properties!.status!.enum = ['New', null];
    const run = await runTap(['--config', config, '--catalog', tempJson('catalog.json', catalog)]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(idsByStream(run.messages).tickets!.sort()).to.deep.equal(idsByStream(plain.messages).tickets!.sort());
    const records = run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record!);
    const moved = records.filter((r) => r.status === null && (r._drifted as Record<string, unknown> | null)?.status !== undefined);
    expect(moved.length).to.be.greaterThan(0);
    expect(records.filter((r) => r.status === 'New').length).to.be.greaterThan(0);
    for (const r of records) expect([null, 'New']).to.include(r.status);
    for (const r of moved) expect((r._drifted as Record<string, unknown>).status).to.not.equal('New');
    expect(run.stderr).to.match(/WARNING stream tickets: property status /);
  });
});
