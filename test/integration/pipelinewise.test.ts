/**
 * tap-crm | pipelinewise-target-postgres 2.1.2, which is strict where MeltanoLabs' target is lenient: a
 * SCHEMA without key_properties is fatal, every SCHEMA message flushes and re-syncs the stream's table,
 * and (validate_records) every RECORD is validated (Draft 7).
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, STREAM_NAMES, type MutationResult, type Simulator } from '../../src/simulator/server.js';
import { endpoint } from '../../src/simulator/endpoints.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, tempDir, truthIds, uniqueSchema, writeJson, type ShResult } from './helpers.js';

// tee keeps what the tap sent, to count its SCHEMA messages.
const FIRST_RUN = [
  'tap-crm --config c.json | tee tap-out.jsonl | target-postgres --config t.json > state-out.jsonl',
  'tail -n 1 state-out.jsonl > state.json',
];
const NEXT_RUN = [
  'tap-crm --config c2.json --state state.json | target-postgres --config t.json > state-out.jsonl',
  'tail -n 1 state-out.jsonl > state.json',
];

describe('tap-crm | pipelinewise-target-postgres', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let pg: Pg;
  let sim: Simulator;
  let work: string;
  let bin: string;
  let schema: string;
  let first: ShResult;

  const pipe = (lines: string[]) => sh(lines.join('\n'), { cwd: work, path: [bin] });

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    sim = await startSimulator({ records: 2000, seed: 51, rpm: 0 });
    work = tempDir('pipelinewise');
    bin = binDir({ 'tap-crm': TAP_BIN, 'target-postgres': env.pipelinewiseTargetPostgres });
    schema = uniqueSchema('pw');
    const base = { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 };
    writeJson(work, 'c.json', base);
    // The second run also sends ACTIVATE_VERSION and RECORD.version, which pipelinewise must accept (it ignores them).
    writeJson(work, 'c2.json', { ...base, activate_version: true });
    const { host, port, user, password, database } = env.pg;
    writeJson(work, 't.json', {
      host,
      port,
      user,
      password,
      dbname: database,
      default_target_schema: schema,
      validate_records: true,
      primary_key_required: true,
    });
    first = await pipe(FIRST_RUN);
  });

  after(async () => {
    await sim?.close();
    if (pg && schema) await pg.dropSchema(schema);
  });

  it('loads each of the 27 streams with exactly the simulator ids, keyed on id', async () => {
    expect(first.code, explain(first)).to.equal(0);
    expect(await pg.tables(schema)).to.deep.equal([...STREAM_NAMES].sort());
    for (const stream of STREAM_NAMES) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
    const keys = await pg.primaryKeys(schema);
    expect(keys).to.deep.equal([...STREAM_NAMES].sort().map((t) => ({ table_name: t, column_name: 'id' })));
  });

  it("got one SCHEMA per stream, with key_properties, before the stream's first RECORD", () => {
    const messages = readFileSync(join(work, 'tap-out.jsonl'), 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
      .map((l) => JSON.parse(l) as { type: string; stream?: string; key_properties?: string[] });
    const schemas = messages.filter((m) => m.type === 'SCHEMA');
    expect(schemas.map((m) => m.stream).sort()).to.deep.equal([...STREAM_NAMES].sort());
    for (const m of schemas) expect(m.key_properties, m.stream).to.deep.equal(['id']);
    for (const stream of STREAM_NAMES) {
      const firstRecord = messages.findIndex((m) => m.type === 'RECORD' && m.stream === stream);
      expect(
        messages.findIndex((m) => m.type === 'SCHEMA' && m.stream === stream),
        stream,
      ).to.be.within(0, firstRecord);
    }
  });

  it('passes the STATE through: a bookmark per incremental stream', () => {
    const state = JSON.parse(readFileSync(join(work, 'state.json'), 'utf8')) as {
      bookmarks: Record<string, { replication_key_value?: string }>;
    };
    for (const stream of STREAM_NAMES.filter((s) => endpoint(s).timestamps))
      expect(state.bookmarks[stream]?.replication_key_value, stream).to.be.a('string');
  });

  it('merges a second, incremental run on the primary key: changed rows updated, new rows in, no duplicates', async () => {
    const changes: MutationResult[] = (['tickets', 'invoices', 'customers', 'products'] as const).map((stream) =>
      sim.mutate({ stream, update: 3, insert: 2 }),
    );
    const second = await pipe(NEXT_RUN);
    expect(second.code, explain(second)).to.equal(0);
    for (const stream of STREAM_NAMES) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
    for (const change of changes) {
      if (change.stream === 'products') continue;
      const ids = [...change.updated, ...change.inserted];
      const rows = await pg.rows<{ id: number; updated_at: string }>(
        `select id, updated_at from "${schema}"."${change.stream}" where id in (${ids.join(',')})`,
      );
      expect(rows, change.stream).to.have.length(ids.length);
      for (const row of rows)
        expect(Date.parse(`${row.updated_at}Z`), `${change.stream} ${row.id}`).to.equal(Date.parse(change.updated_at!));
    }
  });
});
