/**
 * Type drift into real targets: the simulator serves a share of records with one value of another JSON
 * type; MeltanoLabs target-postgres (which validates every record and never alters a column) and
 * pipelinewise-target-postgres (validate_records) load a full run and an incremental one with exit 0, and
 * each drifted value reads back from the tables: converted in its column, kept inside its JSON column, or
 * as the API sent it in _drifted.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { selectOnly } from '../helpers/catalog.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, uniqueSchema, writeJson } from './helpers.js';

const STREAMS = ['customers', 'tickets', 'invoices', 'payments', 'contacts', 'items', 'estimates'];

interface Target {
  name: string;
  bin: (env: IntegrationEnv) => string;
  config: (env: IntegrationEnv, schema: string) => Record<string, unknown>;
}

const TARGETS: Target[] = [
  {
    name: 'MeltanoLabs target-postgres',
    bin: (env) => env.targetPostgres,
    config: (env, schema) => targetPostgresConfig(env, schema),
  },
  {
    name: 'pipelinewise-target-postgres',
    bin: (env) => env.pipelinewiseTargetPostgres,
    config: (env, schema) => ({ ...pgOf(env), dbname: env.pg.database, default_target_schema: schema, validate_records: true }),
  },
];

function pgOf(env: IntegrationEnv): Record<string, unknown> {
  const { host, port, user, password } = env.pg;
  return { host, port, user, password };
}

/** JSON with the keys of every object sorted (jsonb keeps its own order). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    typeof v === 'object' && v !== null && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => a.localeCompare(b)))
      : v,
  );
}

/** A Postgres value as row_to_json gives it, against what the tap wrote (timestamps lose their zone). */
function loaded(db: unknown, written: unknown): boolean {
  if (canonical(db) === canonical(written)) return true;
  if (typeof db === 'string' && typeof written === 'string') return Date.parse(`${db}Z`) === Date.parse(written);
  if (typeof db === 'number' && typeof written === 'string') return Number(written) === db;
  return false;
}

for (const target of TARGETS) {
  describe(`type drift | ${target.name}`, function () {
    this.timeout(300_000);
    let env: IntegrationEnv;
    let pg: Pg;
    let sim: Simulator;
    let work: string;
    let schema: string;
    const pipe = (state: boolean) =>
      sh(
        [
          `tap-crm --config c.json --catalog catalog.json ${state ? '--state state.json ' : ''}| tee tap-out.jsonl | target --config t.json > state-out.jsonl`,
          'tail -n 1 state-out.jsonl > state.json',
        ].join('\n'),
        { cwd: work, path: [binDir({ 'tap-crm': TAP_BIN, target: target.bin(env) })] },
      );

    before(async () => {
      env = integrationEnv();
      pg = new Pg(env);
      sim = await startSimulator({ records: 2000, seed: 71, rpm: 0, drift: 0.1 });
      work = tempDir('drift');
      schema = uniqueSchema('drift');
      writeJson(work, 'c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
      writeJson(work, 'catalog.json', selectOnly(STREAMS));
      writeJson(work, 't.json', target.config(env, schema));
    });
    after(async () => {
      await sim?.close();
      if (pg && schema) await pg.dropSchema(schema);
    });

    for (const run of ['a full run', 'an incremental run after changes'] as const) {
      it(`loads ${run} with exit 0, every id, and each drifted value read back`, async () => {
        const incremental = run !== 'a full run';
        if (incremental) for (const stream of ['tickets', 'invoices'] as const) sim.mutate({ stream, update: 40, insert: 10 });
        const result = await pipe(incremental);
        expect(result.code, explain(result)).to.equal(0);
        const written = new Map<string, Record<string, unknown>>();
        for (const line of readFileSync(join(work, 'tap-out.jsonl'), 'utf8').split('\n')) {
          if (!line.startsWith('{"type":"RECORD"')) continue;
          const m = JSON.parse(line) as { stream: string; record: Record<string, unknown> };
          written.set(`${m.stream} ${String(m.record.id)}`, m.record);
        }
        let checked = 0;
        for (const stream of STREAMS) {
          const truth = sim.truth()[stream as 'tickets'].map((r) => r.id);
          expect(await pg.ids(schema, stream), stream).to.deep.equal([...truth].sort((a, b) => a - b));
          for (const drift of sim.drifts()[stream as 'tickets'] ?? []) {
            const record = written.get(`${stream} ${drift.id}`);
            if (!record) continue; // not in this incremental run
            const [row] = await pg.rows<{ row: Record<string, unknown> }>(
              `select row_to_json(t) as row from "${schema}"."${stream}" t where id = ${drift.id}`,
            );
            const top = drift.path[0]!;
            const moved = (record._drifted as Record<string, unknown> | undefined)?.[top];
            if (moved !== undefined) {
              expect(moved, `${stream} ${drift.id} ${top}: as served`).to.deep.equal(valueAtServed(drift.path, drift.served, moved));
              expect((row!.row._drifted as Record<string, unknown>)[top], `${stream} ${drift.id} _drifted.${top}`).to.deep.equal(moved);
              expect(row!.row[top], `${stream} ${drift.id} ${top}`).to.equal(null);
            } else {
              expect(
                loaded(row!.row[top], record[top]),
                `${stream} ${drift.id} ${top}: ${JSON.stringify(row!.row[top])} for ${JSON.stringify(record[top])}`,
              ).to.equal(true);
            }
            checked++;
          }
        }
        expect(checked).to.be.greaterThan(incremental ? 3 : 50);
      });
    }
  });
}

/** A moved value is the top-level property as served: the drifted value itself, or the object that holds it. */
function valueAtServed(path: readonly string[], served: unknown, moved: unknown): unknown {
  if (path.length === 1) return served;
  return (moved as Record<string, unknown>)[path[1]!] === served ? moved : { mismatch: served };
}
