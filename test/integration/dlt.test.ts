/**
 * dlt (pinned in requirements/dlt.txt) loads the simulator into DuckDB with `tap_crm.dlt.crm_source`, the
 * lines of docs/dlt.md (dlt_run.py), from tap-crm installed with pip from the clone, with no Node.js on
 * the PATH: every default-selected stream with exactly the simulator's ids; after changes, a second run
 * incremental from the state dlt kept (tickets asked since their bookmark) and merged (no duplicate id,
 * the updated rows changed); tombstones delete their rows; a failing tap fails the run with its CRITICAL
 * line; the API key is never printed and no temporary file is left.
 */
import { expect } from 'chai';
import { mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { STREAMS } from '../../src/streams.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { explain, nodeFreePath, sh, tempDir, truthIds } from './helpers.js';

const DEFAULT_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);

interface RunResult {
  ids?: Record<string, number[]>;
  duplicates?: Record<string, number>;
  types?: Record<string, Record<string, string>>;
  tickets_updated_at?: Record<string, string | null>;
  state_streams?: string[];
  error?: string;
  root?: string;
  message?: string;
}

describe('dlt loads tap-crm into DuckDB (tap_crm.dlt.crm_source)', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let work: string;
  let pkg: string;
  let tmp: string;
  let path: string[];

  /** One pipeline.run() in `dir`, the settings from dlt's environment variables, as a user's secrets.toml gives them. */
  const run = async (dir: string, apiKey = sim.apiKey, streams: string[] = []): Promise<RunResult> => {
    const result = await sh(`'${env.dlt}' '${join(ROOT, 'test', 'integration', 'dlt_run.py')}' '${dir}' '${streams.join(',')}'`, {
      cwd: dir,
      pathOnly: path,
      timeoutMs: 240_000,
      env: {
        PYTHONPATH: pkg,
        TMPDIR: tmp,
        SOURCES__CRM__API_KEY: apiKey,
        SOURCES__CRM__BASE_URL: sim.baseUrl,
        SOURCES__CRM__SETTINGS: JSON.stringify({ requests_per_minute: 100_000 }),
        RUNTIME__LOG_LEVEL: 'WARNING',
      },
    });
    expect(result.code, explain(result)).to.equal(0);
    expect(result.stdout + result.stderr, 'the API key printed').not.to.include(apiKey);
    expect(readdirSync(tmp), 'temporary files left behind').to.deep.equal([]);
    return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as RunResult;
  };

  const expectEqualsSimulator = (result: RunResult): void => {
    expect(result.error, result.message).to.equal(undefined);
    expect(Object.keys(result.ids!).sort(), 'tables').to.deep.equal([...DEFAULT_STREAMS].sort());
    for (const stream of DEFAULT_STREAMS) {
      expect(result.ids![stream], stream).to.deep.equal(truthIds(sim, stream as StreamName));
      expect(result.duplicates![stream], stream).to.equal(0);
    }
  };

  before(async () => {
    env = integrationEnv();
    work = tempDir('dlt');
    pkg = join(work, 'pkg');
    tmp = join(work, 'tmp');
    mkdirSync(tmp);
    path = nodeFreePath(join(work, 'no-such-bin'));
    // tap-crm from the clone, with pip, as the README's Install says (its build hook brings its own node);
    // --target: beside the pinned dlt of .venv/dlt, which stays as setup.sh made it.
    const install = await sh(`'${env.dlt}' -m pip install --disable-pip-version-check --no-input --no-deps --target '${pkg}' '${ROOT}'`, {
      cwd: work,
      pathOnly: path,
      timeoutMs: 280_000,
    });
    expect(install.code, explain(install)).to.equal(0);
    sim = await startSimulator({ records: 1500, seed: 61, rpm: 0 });
  });

  after(async () => {
    await sim?.close();
  });

  it('a first run loads every default-selected stream with exactly the simulator ids, typed from the schemas', async () => {
    const first = await run(work);
    expectEqualsSimulator(first);
    expect(first.types!.tickets).to.deep.include({
      id: 'BIGINT',
      number: 'BIGINT',
      subject: 'VARCHAR',
      updated_at: 'TIMESTAMP WITH TIME ZONE',
      properties: 'JSON',
      tag_list: 'JSON',
      sla_breached: 'BOOLEAN',
      _sdc_deleted_at: 'TIMESTAMP WITH TIME ZONE',
    });
    expect(first.state_streams, 'the Singer state kept in dlt').to.include.members(['tickets', 'customers', 'leads']);
  });

  it('a second run is incremental (tickets asked since their bookmark) and merged: no duplicate, updated rows changed', async () => {
    const tickets = sim.mutate({ stream: 'tickets', update: 3, insert: 2 });
    const leads = sim.mutate({ stream: 'leads', update: 2, insert: 1 });
    sim.resetStats();
    const second = await run(work);
    const asked = sim.stats().endpoints.tickets!.values.since_updated_at;
    expect(asked, 'tickets asked since the bookmark of the first run').to.have.length(1);
    expect(second.error, second.message).to.equal(undefined);
    expectEqualsSimulator(second);
    expect(second.ids!.tickets).to.include.members(tickets.inserted);
    expect(second.ids!.leads).to.include.members(leads.inserted);
    for (const id of [...tickets.updated, ...tickets.inserted]) {
      const loaded = second.tickets_updated_at![String(id)];
      expect(new Date(loaded!).getTime(), `ticket ${id}'s updated_at`).to.equal(new Date(tickets.updated_at!).getTime());
    }
  });

  it('tombstones delete their rows (hard_delete): two runs after a deletion, the deleted leads are gone', async () => {
    const gone = sim.mutate({ stream: 'leads', delete: 2 }).deleted;
    const once = await run(work);
    expect(once.ids!.leads, 'one walk without them: no tombstone yet').to.include.members(gone);
    const twice = await run(work);
    expectEqualsSimulator(twice);
    expect(twice.ids!.leads).not.to.include.members(gone);
  });

  it('streams= picks the streams; a failing tap fails the run with its CRITICAL line, not the key', async () => {
    const dir = tempDir('dlt-streams');
    const some = await run(dir, sim.apiKey, ['tickets', 'customer_phones']);
    expect(some.error, some.message).to.equal(undefined);
    expect(Object.keys(some.ids!).sort()).to.deep.equal(['customer_phones', 'tickets']);
    expect(some.ids!.tickets).to.deep.equal(truthIds(sim, 'tickets'));
    const failed = await run(tempDir('dlt-failed'), 'wrong-key-0123456789');
    expect(failed.error).to.equal('PipelineStepFailed');
    expect(failed.root).to.equal('TapCrmError');
    expect(failed.message).to.match(/tap-crm sync failed \(exit code 1\): CRITICAL the API refused the token \(HTTP 401 on GET \/me\)/);
  });
});
