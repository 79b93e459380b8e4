/**
 * PyAirbyte (pinned in requirements/pyairbyte.txt) runs the built tap as a local Airbyte source and reads
 * the simulator into its DuckDB cache, with the lines of the README's Airbyte section
 * (pyairbyte_read.py): every default-selected stream with exactly the simulator's ids; after changes, a
 * second read from the state PyAirbyte kept, incremental, merged without duplicates; a failing stream
 * fails the read; `get_source("source-tap-crm", pip_url=<the repository>)` installs the package and reads
 * (about 17 s: uv builds the wheel). Also: the committed protocol schema is what the pinned models generate.
 */
import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { STREAMS } from '../../src/streams.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { explain, sh, TAP_BIN, tempDir, truthIds, writeJson } from './helpers.js';

const DEFAULT_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);

interface ReadResult {
  ids?: Record<string, number[]>;
  duplicates?: Record<string, number>;
  types?: Record<string, Record<string, string>>;
  rows?: Record<string, number>;
  states?: string[];
  /** Ids of the rows with _ab_cdc_deleted_at set, by stream. */
  deleted?: Record<string, number[]>;
  error?: string;
  message?: string;
}

describe('PyAirbyte reads tap-crm into DuckDB', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let work: string;
  let python: string;

  const read = async (config: string, streams: string[], dir = work, executable = TAP_BIN): Promise<ReadResult> => {
    const run = await sh(
      `'${python}' '${join(ROOT, 'test', 'integration', 'pyairbyte_read.py')}' '${dir}' '${executable}' '${config}' '${streams.join(',')}'`,
      {
        cwd: dir,
        timeoutMs: 240_000,
      },
    );
    expect(run.code, explain(run)).to.equal(0);
    return JSON.parse(run.stdout.trim().split('\n').at(-1)!) as ReadResult;
  };

  before(async () => {
    env = integrationEnv();
    python = env.pyairbyte;
    // With type drift on: every read must still load into the DuckDB cache (values that do not fit move to _drifted).
    sim = await startSimulator({ records: 2500, seed: 51, rpm: 0, drift: 0.05 });
    work = tempDir('pyairbyte');
  });
  after(async () => sim?.close());

  it('the README shows these lines', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    for (const line of [
      'AIRBYTE_OFFLINE_MODE',
      'ab.get_source("source-tap-crm", local_executable=',
      'source.check()',
      'source.select_streams(',
      'DuckDBCache(db_path=',
      'source.read(cache=cache)',
    ]) {
      expect(readme, line).to.include(line);
    }
  });

  it('reads every default-selected stream with exactly the simulator ids, once each', async () => {
    const config = writeJson(work, 'config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const first = await read(config, DEFAULT_STREAMS);
    expect(first.error, first.message).to.equal(undefined);
    for (const stream of DEFAULT_STREAMS) {
      expect(first.ids![stream], stream).to.deep.equal(truthIds(sim, stream as never));
      expect(first.duplicates![stream], stream).to.equal(0);
    }
    // Types as the schemas declare them: timestamps as TIMESTAMP (sent in UTC), money text, custom fields JSON.
    expect(first.types!.tickets).to.deep.include({ id: 'BIGINT', updated_at: 'TIMESTAMP', properties: 'JSON' });
    expect(first.types!.invoices).to.deep.include({ total: 'VARCHAR' });
  });

  it('reads again from the state it kept: tickets asked since their bookmark, the cache merged, no duplicate ids', async () => {
    const config = join(work, 'config.json');
    const tickets = sim.mutate({ stream: 'tickets', update: 4, insert: 2 });
    const leads = sim.mutate({ stream: 'leads', update: 2, insert: 1 });
    sim.resetStats();
    const second = await read(config, DEFAULT_STREAMS);
    expect(second.error, second.message).to.equal(undefined);
    expect(sim.stats().endpoints.tickets!.values.since_updated_at, 'incremental: asked since the bookmark').to.have.length(1);
    for (const stream of DEFAULT_STREAMS) {
      expect(second.ids![stream], stream).to.deep.equal(truthIds(sim, stream as never));
      expect(second.duplicates![stream], stream).to.equal(0);
    }
    expect(second.ids!.tickets).to.include.members(tickets.inserted);
    expect(second.ids!.leads).to.include.members(leads.inserted);
  });

  it('receives tombstones: after a deletion, two reads set _ab_cdc_deleted_at on exactly the deleted rows', async () => {
    const config = join(work, 'config.json');
    const gone = {
      leads: sim.mutate({ stream: 'leads', delete: 2 }).deleted,
      customers: sim.mutate({ stream: 'customers', delete: 3 }).deleted,
    };
    const once = await read(config, DEFAULT_STREAMS);
    expect(once.error, once.message).to.equal(undefined);
    expect(once.deleted!.leads).to.deep.equal([]);
    const twice = await read(config, DEFAULT_STREAMS);
    expect(twice.error, twice.message).to.equal(undefined);
    expect(twice.types!.leads).to.have.property('_ab_cdc_deleted_at');
    expect({ leads: twice.deleted!.leads, customers: twice.deleted!.customers }).to.deep.equal(gone);
    for (const stream of DEFAULT_STREAMS.filter((s) => s !== 'leads' && s !== 'customers'))
      if (twice.deleted?.[stream]) expect(twice.deleted[stream], stream).to.deep.equal([]);
  });

  it('reads parents and the lists under their records as PyAirbyte asks (incremental everywhere); after changes, the cache equals the API', async () => {
    const graph = await startSimulator({ records: 1500, seed: 53, rpm: 0 });
    try {
      const dir = tempDir('pyairbyte-graph');
      const config = writeJson(dir, 'config.json', { api_key: graph.apiKey, base_url: graph.baseUrl, requests_per_minute: 100_000 });
      const parents = {
        tickets: ['ticket_comments', 'ticket_worksheet_results'],
        customers: ['customer_phones'],
        products: ['product_serials'],
      };
      const streams = [...Object.entries(parents).flat(2), 'customer_assets', 'asset_patches'];
      const expectCacheEqualsApi = (result: ReadResult) => {
        expect(result.error, result.message).to.equal(undefined);
        for (const [parent, children] of Object.entries(parents)) {
          const ids = truthIds(graph, parent as never);
          expect(result.ids![parent], parent).to.deep.equal(ids);
          for (const child of children) {
            const under = ids.flatMap((id) => graph.children(child as never, id).map((r) => r.id as number)).sort((a, b) => a - b);
            expect(result.ids![child], child).to.deep.equal(under);
            expect(result.duplicates![child], child).to.equal(0);
          }
        }
        const patches = truthIds(graph, 'customer_assets').reduce((n, id) => n + graph.children('asset_patches', id).length, 0);
        expect(result.rows!.asset_patches, 'asset_patches rows').to.equal(patches);
        expect(result.states, 'a state kept for each stream read, and none other').to.deep.equal([...streams].sort());
      };
      expectCacheEqualsApi(await read(config, streams, dir));
      graph.mutate({ stream: 'tickets', update: 3, insert: 2 });
      graph.mutate({ stream: 'customers', update: 2, insert: 1 });
      graph.mutate({ stream: 'customer_assets', update: 1, insert: 1 });
      graph.mutate({ stream: 'products', insert: 1 });
      expectCacheEqualsApi(await read(config, streams, dir));
    } finally {
      await graph.close();
    }
  });

  it('installs the package from pip_url (the repository) and reads with the source-tap-crm command it finds there', async () => {
    const dir = tempDir('pyairbyte-pip');
    const config = writeJson(dir, 'config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const result = await read(config, ['contacts', 'tickets'], dir, `pip_url=${ROOT}`);
    expect(result.error, result.message).to.equal(undefined);
    for (const stream of ['contacts', 'tickets']) expect(result.ids![stream], stream).to.deep.equal(truthIds(sim, stream as never));
    // PyAirbyte's own virtual environment for the connector, with both commands of the package.
    for (const command of ['source-tap-crm', 'tap-crm'])
      expect(existsSync(join(dir, '.venv-source-tap-crm', 'bin', command)), command).to.equal(true);
  });

  it('fails the read when a stream fails', async () => {
    const broken = await startSimulator({ records: 500, seed: 52, rpm: 0, missingEndpoints: ['contacts'] });
    try {
      const dir = tempDir('pyairbyte-broken');
      const config = writeJson(dir, 'config.json', { api_key: broken.apiKey, base_url: broken.baseUrl, requests_per_minute: 100_000 });
      const result = await read(config, ['contacts', 'leads'], dir);
      expect(result.error).to.equal('AirbyteConnectorFailedError');
    } finally {
      await broken.close();
    }
  });

  it('test/airbyte/protocol.schema.json is what the pinned protocol models generate', async () => {
    const dir = tempDir('protocol-schema');
    const run = await sh(`'${python}' '${join(ROOT, 'test', 'airbyte', 'generate-protocol-schema.py')}' '${join(dir, 'schema.json')}'`, {
      cwd: dir,
    });
    expect(run.code, explain(run)).to.equal(0);
    expect(readFileSync(join(dir, 'schema.json'), 'utf8')).to.equal(
      readFileSync(join(ROOT, 'test', 'airbyte', 'protocol.schema.json'), 'utf8'),
    );
  });
});
