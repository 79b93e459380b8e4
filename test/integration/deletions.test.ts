/**
 * Tombstones into the real targets: records deleted on the simulator, then two runs, each piped as the
 * README shows. MeltanoLabs target-postgres with add_record_metadata (its default) keeps the rows and sets
 * their _sdc_deleted_at (its upsert nulls their other columns), and without it nulls them unmarked;
 * pipelinewise-target-postgres with hard_delete removes them.
 */
import { expect } from 'chai';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, truthIds, uniqueSchema, writeJson } from './helpers.js';

const RUN = [
  'tap-crm --config c.json $STATE | target-postgres --config t.json > state-out.jsonl',
  'tail -n 1 state-out.jsonl > state.json',
].join('\n');

const DELETED_FROM: readonly StreamName[] = ['leads', 'customers', 'contacts'];

describe('tombstones into the targets', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let pg: Pg;
  const schemas: string[] = [];

  before(() => {
    env = integrationEnv();
    pg = new Pg(env);
  });
  after(async () => {
    for (const schema of schemas) await pg.dropSchema(schema);
  });

  /** Three runs into `target` (its config `targetConfig`), records deleted after the first; the ids deleted. */
  async function threeRuns(sim: Simulator, target: string, targetConfig: Record<string, unknown>): Promise<Record<string, number[]>> {
    const work = tempDir('tombstones');
    const bin = binDir({ 'tap-crm': TAP_BIN, 'target-postgres': target });
    writeJson(work, 'c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    writeJson(work, 't.json', targetConfig);
    const run = async (state: boolean) => {
      const result = await sh(RUN.replace('$STATE', state ? '--state state.json' : ''), { cwd: work, path: [bin] });
      expect(result.code, explain(result)).to.equal(0);
    };
    await run(false);
    const deleted = Object.fromEntries(DELETED_FROM.map((stream) => [stream, sim.mutate({ stream, delete: 2 }).deleted]));
    await run(true);
    await run(true);
    return deleted;
  }

  /** Runs `check` against a simulated account of its own (`seed`), loading into a schema of its own. */
  async function withAccount(seed: number, check: (sim: Simulator, schema: string) => Promise<void>): Promise<void> {
    const sim = await startSimulator({ records: 600, seed, rpm: 0 });
    try {
      const schema = uniqueSchema(`tomb${seed}`);
      schemas.push(schema);
      await check(sim, schema);
    } finally {
      await sim.close();
    }
  }

  it('MeltanoLabs target-postgres (add_record_metadata, true by default in 0.8.1): the deleted rows kept with _sdc_deleted_at set', async () => {
    await withAccount(71, async (sim, schema) => {
      const deleted = await threeRuns(sim, env.targetPostgres, targetPostgresConfig(env, schema));
      for (const stream of DELETED_FROM) {
        const marked = await pg.rows<{ id: number; updated_at: string | null }>(
          `select id, updated_at from "${schema}"."${stream}" where _sdc_deleted_at is not null order by id`,
        );
        expect(
          marked.map((r) => r.id),
          stream,
        ).to.deep.equal(deleted[stream]);
        // The target's upsert writes the tombstone's columns: the others become null.
        expect(
          marked.map((r) => r.updated_at),
          stream,
        ).to.deep.equal(deleted[stream]!.map(() => null));
        const all = await pg.ids(schema, stream);
        expect(all, stream).to.deep.equal([...truthIds(sim, stream), ...deleted[stream]!].sort((a, b) => a - b));
      }
    });
  });

  it('MeltanoLabs target-postgres, add_record_metadata: false (as the README warns): the deleted rows unmarked, their columns null', async () => {
    await withAccount(73, async (sim, schema) => {
      const deleted = await threeRuns(
        sim,
        env.targetPostgres,
        targetPostgresConfig(env, schema, { add_record_metadata: false, activate_version: false }),
      );
      const columns = await pg.rows<{ c: string }>(
        `select column_name as c from information_schema.columns where table_schema = '${schema}' and table_name = 'leads'`,
      );
      // The SDK drops _sdc_ properties from the schema and the records: the tombstone is its key alone.
      expect(columns.map((r) => r.c)).to.not.include('_sdc_deleted_at');
      const nulled = await pg.rows<{ id: number }>(`select id from "${schema}"."leads" where updated_at is null order by id`);
      expect(nulled.map((r) => r.id)).to.deep.equal(deleted.leads);
    });
  });

  it('pipelinewise-target-postgres, hard_delete: true: the deleted rows removed', async () => {
    await withAccount(72, async (sim, schema) => {
      const { host, port, user, password, database } = env.pg;
      const config = { host, port, user, password, dbname: database, default_target_schema: schema, hard_delete: true };
      await threeRuns(sim, env.pipelinewiseTargetPostgres, config);
      for (const stream of DELETED_FROM) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
    });
  });
});
