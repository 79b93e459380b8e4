/**
 * The lists under a record into MeltanoLabs target-postgres (upsert, activate_version, hard_delete): the
 * four child streams load into their tables keyed by their key properties (asset_patches by three that
 * are not `id`); a run between sweeps merges what changed (no row twice, none deleted: its records keep the
 * last sweep's table version), and a sweep's ACTIVATE_VERSION takes the children of deleted parents away.
 */
import { expect } from 'chai';
import { CHILD_ENDPOINTS, childCount as childrenOf, type ChildStream } from '../../src/simulator/children.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { keyPropertiesOf, streamByName } from '../../src/streams.js';
import { selectOnly } from '../helpers/catalog.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, uniqueSchema, writeJson, type ShResult } from './helpers.js';

const SEED = 29;
const CHILDREN: readonly ChildStream[] = ['ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials'];
const PARENT = (stream: ChildStream) => CHILD_ENDPOINTS[stream].parent as StreamName;
const childCount = (stream: ChildStream, parentId: number) => childrenOf(stream, SEED, parentId);

describe('child streams | target-postgres (MeltanoLabs, upsert): keys, merge, deletions', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let pg: Pg;
  let sim: Simulator;
  let work: string;
  let bin: string;
  let schema: string;
  let first: ShResult;

  const pipe = (withState: boolean, config = 'c.json') =>
    sh(
      [
        `tap-crm --config ${config} --catalog catalog.json ${withState ? '--state state.json ' : ''}| target-postgres --config t.json > state-out.jsonl`,
        'tail -n 1 state-out.jsonl > state.json',
      ].join('\n'),
      { cwd: work, path: [bin] },
    );
  const expectedRows = (stream: ChildStream) => sim.truth()[PARENT(stream)].reduce((sum, parent) => sum + childCount(stream, parent.id), 0);
  const rowCount = async (stream: ChildStream) =>
    (await pg.rows<{ n: number }>(`select count(*)::int as n from "${schema}"."${stream}"`))[0]!.n;
  const distinctKeys = async (stream: ChildStream) => {
    const keys = keyPropertiesOf(streamByName(stream)!)
      .map((k) => `"${k}"`)
      .join(', ');
    return (await pg.rows<{ n: number }>(`select count(*)::int as n from (select distinct ${keys} from "${schema}"."${stream}") k`))[0]!.n;
  };

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    sim = await startSimulator({ records: 3000, seed: SEED, rpm: 0 });
    work = tempDir('children');
    bin = binDir({ 'tap-crm': TAP_BIN, 'target-postgres': env.targetPostgres });
    schema = uniqueSchema('children');
    const tap = { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, activate_version: true };
    writeJson(work, 'c.json', tap);
    writeJson(work, 'c-sweep.json', { ...tap, sweep_interval_days: 0 });
    writeJson(work, 'catalog.json', selectOnly(CHILDREN));
    writeJson(work, 't.json', targetPostgresConfig(env, schema, { activate_version: true, hard_delete: true }));
    first = await pipe(false);
  });

  after(async () => {
    await sim?.close();
    if (pg && schema) await pg.dropSchema(schema);
  });

  it('loads the four tables, each with the simulator’s children of every parent, one row a key', async () => {
    expect(first.code, explain(first)).to.equal(0);
    expect(await pg.tables(schema)).to.deep.equal([...CHILDREN].sort());
    for (const stream of CHILDREN) {
      const rows = await rowCount(stream);
      expect(rows, stream).to.equal(expectedRows(stream));
      expect(rows, `${stream}: rows`).to.be.greaterThan(10);
      expect(await distinctKeys(stream), `${stream}: distinct keys`).to.equal(rows);
    }
  });

  it('keys asset_patches on asset_id, patch_list and patch_key (its members have no id)', async () => {
    const pk = (await pg.primaryKeys(schema)).filter((r) => r.table_name === 'asset_patches');
    expect(pk.map((r) => r.column_name)).to.deep.equal(['asset_id', 'patch_list', 'patch_key']);
  });

  it('merges a run between sweeps without deleting a row, and a sweep drops the children of deleted parents (ACTIVATE_VERSION)', async () => {
    const before = Object.fromEntries(await Promise.all(CHILDREN.map(async (stream) => [stream, await rowCount(stream)] as const)));
    const deleted = sim.mutate({ stream: 'customers', delete: 5 }).deleted;
    expect(
      deleted.reduce((sum, id) => sum + childCount('customer_phones', id), 0),
      'phones of the deleted customers',
    ).to.be.greaterThan(0);
    sim.mutate({ stream: 'customer_assets', delete: 5 });
    sim.mutate({ stream: 'tickets', update: 4, insert: 2 });
    // Between sweeps: the changed tickets' worksheet results come again and merge; no ACTIVATE_VERSION, and the
    // rows keep the last sweep's version, so none goes (the deleted parents' children wait for the sweep).
    const between = await pipe(true);
    expect(between.code, explain(between)).to.equal(0);
    for (const stream of CHILDREN) {
      const rows = await rowCount(stream);
      expect(rows, `${stream}: nothing deleted between sweeps`).to.be.at.least(before[stream]!);
      expect(await distinctKeys(stream), `${stream}: distinct keys`).to.equal(rows);
    }
    const sweep = await pipe(true, 'c-sweep.json');
    expect(sweep.code, explain(sweep)).to.equal(0);
    for (const stream of CHILDREN) {
      const rows = await rowCount(stream);
      expect(rows, stream).to.equal(expectedRows(stream));
      expect(await distinctKeys(stream), `${stream}: distinct keys`).to.equal(rows);
    }
    const left = await pg.rows<{ n: number }>(
      `select count(*)::int as n from "${schema}"."customer_phones" where customer_id in (${deleted.join(',')})`,
    );
    expect(left[0]!.n).to.equal(0);
  });
});
