/**
 * Custom fields as columns into the real consumers: a catalog discovered with `custom_fields: "columns"`,
 * then a sync piped into MeltanoLabs target-postgres, as docs/custom-fields.md shows it, and a PyAirbyte read into
 * DuckDB; each table has the columns, typed, and each row's values are their meanings in the simulator's
 * truth (a misfit null, kept in _drifted).
 */
import { expect } from 'chai';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { EXPECTED, expectedOf, STREAMS } from '../helpers/custom-fields.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, uniqueSchema, writeJson } from './helpers.js';

/** docs/custom-fields.md's lines: a catalog discovered with the config, its three streams selected, then the sync. */
const RUN = [
  'tap-crm --discover --config c.json > catalog.json',
  `node -e "const c=require('./catalog.json');for(const s of c.streams)s.metadata[0].metadata.selected=['tickets','customers','customer_assets'].includes(s.stream);require('fs').writeFileSync('catalog.json',JSON.stringify(c))"`,
  'tap-crm --config c.json --catalog catalog.json | target-postgres --config t.json > state-out.jsonl',
].join('\n');

describe('custom fields as columns into the targets', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let pg: Pg;
  const schema = uniqueSchema('cf');

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    sim = await startSimulator({ records: 900, seed: 81, rpm: 0 });
  });
  after(async () => {
    await pg.dropSchema(schema);
    await sim?.close();
  });

  const config = () => ({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, custom_fields: 'columns' });

  it('MeltanoLabs target-postgres: each column created with its type, each row holding its meaning', async () => {
    const work = tempDir('custom-fields');
    writeJson(work, 'c.json', config());
    writeJson(work, 't.json', targetPostgresConfig(env, schema));
    const result = await sh(RUN, { cwd: work, path: [binDir({ 'tap-crm': TAP_BIN, 'target-postgres': env.targetPostgres })] });
    expect(result.code, explain(result)).to.equal(0);
    const truth = sim.customFields();
    for (const stream of STREAMS) {
      const types = await pg.rows<{ c: string; t: string }>(
        `select column_name as c, data_type as t from information_schema.columns where table_schema = '${schema}' and table_name = '${stream}' and column_name like 'cf\\_%'`,
      );
      expect(Object.fromEntries(types.map((r) => [r.c, r.t])), stream).to.deep.equal(
        Object.fromEntries(Object.values(EXPECTED[stream]).map(([c, type]) => [c, type === 'boolean' ? 'boolean' : 'text'])),
      );
      const columns = Object.values(EXPECTED[stream]).map(([c]) => `"${c}"`);
      const rows = await pg.rows<Record<string, unknown>>(
        `select id, ${columns.join(', ')}, _drifted from "${schema}"."${stream}" order by id`,
      );
      expect(rows.length, stream).to.equal(Object.keys(truth[stream]).length);
      for (const row of rows) {
        const expected = expectedOf(stream, truth[stream][row.id as number]!);
        const { id, _drifted: drifted, ...values } = row;
        expect(values, `${stream} ${String(id)}`).to.deep.equal(expected.columns);
        const own = Object.fromEntries(
          Object.entries((drifted as Record<string, unknown> | null) ?? {}).filter(([k]) => k.startsWith('cf_')),
        );
        expect(own, `${stream} ${String(id)} _drifted`).to.deep.equal(expected.drifted);
      }
    }
  });

  it('PyAirbyte: discover declares the columns, read loads them into DuckDB with their types and meanings', async () => {
    const work = tempDir('custom-fields-pyairbyte');
    const cfg = writeJson(work, 'config.json', config());
    const run = await sh(
      `'${env.pyairbyte}' '${join(ROOT, 'test', 'integration', 'pyairbyte_read.py')}' '${work}' '${TAP_BIN}' '${cfg}' '${STREAMS.join(',')}' cf_`,
      { cwd: work, timeoutMs: 240_000 },
    );
    expect(run.code, explain(run)).to.equal(0);
    const out = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
      error?: string;
      message?: string;
      types: Record<string, Record<string, string>>;
      values: Record<string, Record<string, Record<string, unknown>>>;
    };
    expect(out.error, out.message).to.equal(undefined);
    const truth = sim.customFields();
    for (const stream of STREAMS) {
      for (const [column, type] of Object.values(EXPECTED[stream]))
        expect(out.types[stream]![column], `${stream}.${column}`).to.equal(type === 'boolean' ? 'BOOLEAN' : 'VARCHAR');
      const rows = out.values[stream]!;
      expect(Object.keys(rows).length, stream).to.equal(Object.keys(truth[stream]).length);
      for (const [id, { _drifted: drifted, ...values }] of Object.entries(rows)) {
        const expected = expectedOf(stream, truth[stream][Number(id)]!);
        expect(values, `${stream} ${id}`).to.deep.equal(expected.columns);
        const parsed = (typeof drifted === 'string' ? JSON.parse(drifted) : drifted) as Record<string, unknown> | null;
        const own = Object.fromEntries(Object.entries(parsed ?? {}).filter(([k]) => k.startsWith('cf_')));
        expect(own, `${stream} ${id} _drifted`).to.deep.equal(expected.drifted);
      }
    }
  });
});
