/**
 * tap-crm | MeltanoLabs target-postgres (load_method upsert), piped by hand exactly as the README shows,
 * from the simulator into the private PostgreSQL cluster; then a second run with the target's last STATE
 * after updates, inserts and deletions on the simulator.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import {
  recordFor,
  startSimulator,
  STREAM_NAMES,
  type MutationResult,
  type Simulator,
  type StreamName,
} from '../../src/simulator/server.js';
import { endpoint } from '../../src/simulator/endpoints.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import {
  binDir,
  explain,
  meltanoLabsColumn,
  Pg,
  targetPostgresConfig,
  sh,
  streamSchema,
  TAP_BIN,
  tempDir,
  truthIds,
  uniqueSchema,
  untilNextSecond,
  writeJson,
  type ShResult,
} from './helpers.js';

const SEED = 21;

/** The README's commands ("Using it with Meltano", piping by hand), run as they are written there. */
export const FIRST_RUN = [
  'tap-crm --config c.json | target-postgres --config t.json > state-out.jsonl',
  'tail -n 1 state-out.jsonl > state.json',
];
export const NEXT_RUN = [
  'tap-crm --config c.json --state state.json | target-postgres --config t.json > state-out.jsonl',
  'tail -n 1 state-out.jsonl > state.json',
];

interface Bookmarks {
  bookmarks: Record<string, { replication_key?: string; replication_key_value?: string; version?: number }>;
}

interface ColumnRow {
  table_name: string;
  column_name: string;
  data_type: string;
  udt_name: string;
}

/** Postgres `timestamp without time zone` as JSON ("2025-11-17T14:31:02.727") → epoch ms, read as UTC. */
const pgUtcMs = (value: string): number => Date.parse(`${value}Z`);

describe('tap-crm | target-postgres (MeltanoLabs, upsert), piped as the README shows', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let pg: Pg;
  let sim: Simulator;
  let work: string;
  let bin: string;
  let schema: string;
  let first: ShResult;
  let firstTruth: ReturnType<Simulator['truth']>;
  let state1: Bookmarks;
  let firstColumns: ColumnRow[] = [];
  const columnsNow = () =>
    pg.rows<ColumnRow>(
      `select table_name, column_name, data_type, udt_name from information_schema.columns where table_schema = '${schema}' order by table_name, column_name`,
    );

  const pipe = (lines: string[]) => sh(lines.join('\n'), { cwd: work, path: [bin] });
  const readState = (): Bookmarks => JSON.parse(readFileSync(join(work, 'state.json'), 'utf8')) as Bookmarks;

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    sim = await startSimulator({ records: 2000, seed: SEED, rpm: 0 });
    work = tempDir('pipe');
    bin = binDir({ 'tap-crm': TAP_BIN, 'target-postgres': env.targetPostgres });
    schema = uniqueSchema('pipe');
    // activate_version on both sides, so that deletions of the full-table stream (products) propagate.
    writeJson(work, 'c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, activate_version: true });
    writeJson(work, 't.json', targetPostgresConfig(env, schema, { activate_version: true, hard_delete: true }));
    first = await pipe(FIRST_RUN);
    firstTruth = sim.truth();
  });

  after(async () => {
    await sim?.close();
    if (pg && schema) await pg.dropSchema(schema);
  });

  it('the README shows these commands', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const line of [...FIRST_RUN, ...NEXT_RUN]) expect(readme, line).to.include(line);
  });

  it('loads each of the 27 streams into its table with exactly the simulator ids, once each', async () => {
    expect(first.code, explain(first)).to.equal(0);
    expect(await pg.tables(schema)).to.deep.equal([...STREAM_NAMES].sort());
    for (const stream of STREAM_NAMES) {
      expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
    }
  });

  it('types each column as the README documents (bigint, numeric, timestamp, text, jsonb, arrays)', async () => {
    firstColumns = await columnsNow();
    const columns = await pg.rows<ColumnRow>(
      `select table_name, column_name, data_type, udt_name from information_schema.columns where table_schema = '${schema}' and column_name not like '\\_sdc\\_%'`,
    );
    for (const stream of STREAM_NAMES) {
      const properties = streamSchema(stream).properties;
      const actual = Object.fromEntries(
        columns.filter((c) => c.table_name === stream).map((c) => [c.column_name, { data_type: c.data_type, udt_name: c.udt_name }]),
      );
      // The query leaves _sdc_ columns out (the target's own metadata; a tombstone's column, which the target keeps
      // only with add_record_metadata: test/integration/deletions.test.ts).
      const expected = Object.fromEntries(
        Object.entries(properties)
          .filter(([name]) => !name.startsWith('_sdc_'))
          .map(([name, p]) => [name, meltanoLabsColumn(p)]),
      );
      expect(actual, stream).to.deep.equal(expected);
      expect(actual.id, `${stream}.id`).to.deep.equal({ data_type: 'bigint', udt_name: 'int8' });
    }
    // The README's examples: decimal strings stay text, API numbers are numeric, custom fields are jsonb.
    const col = (t: string, c: string) => columns.find((x) => x.table_name === t && x.column_name === c)?.data_type;
    expect(col('invoices', 'total')).to.equal('text');
    expect(col('payments', 'payment_amount')).to.equal('numeric');
    expect(col('products', 'price_retail')).to.equal('numeric');
    expect(col('customers', 'properties')).to.equal('jsonb');
    expect(col('tickets', 'updated_at')).to.equal('timestamp without time zone');
  });

  it('stores every updated_at as the UTC instant the API sent', async () => {
    for (const stream of STREAM_NAMES) {
      if (!endpoint(stream).timestamps) continue;
      const rows = await pg.rows<{ id: number; updated_at: string | null }>(`select id, updated_at from "${schema}"."${stream}"`);
      const truth = new Map(firstTruth[stream].map((r) => [r.id, r.updated_at]));
      for (const row of rows) {
        const sent = truth.get(row.id);
        expect(row.updated_at === null ? null : pgUtcMs(row.updated_at), `${stream} ${row.id}`).to.equal(sent ? Date.parse(sent) : null);
      }
    }
  });

  it("leaves in state.json the target's last STATE: a bookmark per incremental stream, the newest updated_at", () => {
    state1 = readState();
    for (const stream of STREAM_NAMES) {
      if (!endpoint(stream).timestamps) {
        expect(state1.bookmarks[stream], stream).not.to.have.property('replication_key_value');
        continue;
      }
      const newest = Math.max(...firstTruth[stream].map((r) => Date.parse(r.updated_at!)));
      expect(state1.bookmarks[stream], stream).to.include({ replication_key: 'updated_at' });
      expect(Date.parse(state1.bookmarks[stream]!.replication_key_value!), stream).to.equal(newest);
    }
  });

  describe('a second run with that state, after changes on the simulator', () => {
    const changed = new Map<StreamName, MutationResult>();
    let second: ShResult;
    let betweenRuns: number;
    let productRevisions: Map<number, number>;

    before(async () => {
      state1 ??= readState();
      for (const stream of ['tickets', 'invoices', 'customers', 'line_items', 'leads', 'contracts'] as const) {
        changed.set(stream, sim.mutate({ stream, update: 4, insert: 3 }));
      }
      // products is full table: ACTIVATE_VERSION with hard_delete removes the deleted ones.
      const products = sim.mutate({ stream: 'products', delete: 3 });
      changed.set('products', { ...sim.mutate({ stream: 'products', update: 3, insert: 2 }), deleted: products.deleted });
      productRevisions = new Map(changed.get('products')!.updated.map((id) => [id, 1]));
      sim.resetStats();
      await untilNextSecond();
      betweenRuns = Date.now();
      second = await pipe(NEXT_RUN);
    });

    it('exits 0 and reads tickets and invoices since the bookmarks of the first run', () => {
      expect(second.code, explain(second)).to.equal(0);
      for (const stream of ['tickets', 'invoices'] as const) {
        const since = sim.stats().endpoints[stream]!.values.since_updated_at;
        expect(since, stream).to.deep.equal([new Date(Date.parse(state1.bookmarks[stream]!.replication_key_value!)).toISOString()]);
      }
    });

    it('has exactly the simulator ids in every table: new rows in, deleted products out, no duplicates', async () => {
      for (const stream of STREAM_NAMES) {
        expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
      }
      const products = changed.get('products')!;
      expect(products.deleted).to.have.length(3);
      expect(await pg.ids(schema, 'products'))
        .to.include.members(products.inserted)
        .and.not.include.members(products.deleted);
    });

    it('updates changed rows in place: their updated_at is the new one', async () => {
      for (const [stream, result] of changed) {
        if (!endpoint(stream).timestamps) continue;
        const ids = [...result.updated, ...result.inserted];
        const rows = await pg.rows<{ id: number; updated_at: string }>(
          `select id, updated_at from "${schema}"."${stream}" where id in (${ids.join(',')}) order by id`,
        );
        expect(
          rows.map((r) => r.id),
          stream,
        ).to.deep.equal([...ids].sort((a, b) => a - b));
        for (const row of rows) expect(pgUtcMs(row.updated_at), `${stream} ${row.id}`).to.equal(Date.parse(result.updated_at!));
      }
    });

    it('updates changed products in place (full table, no timestamps): their fields are the new revision', async () => {
      const properties = streamSchema('products').properties;
      let compared = 0;
      for (const [id, revision] of productRevisions) {
        const before = recordFor(SEED, 'products', id, revision - 1);
        const after = recordFor(SEED, 'products', id, revision);
        const [row] = await pg.rows<Record<string, unknown>>(`select * from "${schema}".products where id = ${id}`);
        for (const [name, value] of Object.entries(after)) {
          const p = properties[name];
          // Plain strings and integers: the tap passes them through unchanged.
          const plain =
            p &&
            !p.format &&
            ((p.type?.includes('string') && typeof value === 'string') || (p.type?.includes('integer') && Number.isInteger(value)));
          if (!plain || JSON.stringify(before[name]) === JSON.stringify(value)) continue;
          expect(row![name], `products ${id}.${name}`).to.equal(value);
          compared += 1;
        }
      }
      expect(compared, 'fields that differ between the two revisions').to.be.greaterThan(0);
    });

    it('rewrites only the rows the run re-sent: the changed ones and those at the bookmark itself', async () => {
      for (const stream of ['tickets', 'customers'] as const) {
        const bookmark = Date.parse(state1.bookmarks[stream]!.replication_key_value!);
        const atBookmark = firstTruth[stream].filter((r) => Date.parse(r.updated_at!) === bookmark).map((r) => r.id);
        const result = changed.get(stream)!;
        const expected = [...new Set([...result.updated, ...result.inserted, ...atBookmark])].sort((a, b) => a - b);
        const rows = await pg.rows<{ id: number }>(
          `select id from "${schema}"."${stream}" where _sdc_extracted_at >= to_timestamp(${betweenRuns / 1000}) at time zone 'UTC' order by id`,
        );
        expect(
          rows.map((r) => r.id),
          stream,
        ).to.deep.equal(expected);
      }
    });

    it('keeps every column and its type: the second run altered no table', async () => {
      expect(firstColumns.length).to.be.greaterThan(0);
      expect(await columnsNow()).to.deep.equal(firstColumns);
    });

    it('leaves the new bookmarks in state.json', () => {
      const state2 = readState();
      for (const [stream, result] of changed) {
        if (!endpoint(stream).timestamps) continue;
        expect(Date.parse(state2.bookmarks[stream]!.replication_key_value!), stream).to.equal(Date.parse(result.updated_at!));
      }
      expect(state2.bookmarks.products!.version)
        .to.be.a('number')
        .and.to.be.greaterThan(state1.bookmarks.products!.version ?? 0);
    });
  });
});
