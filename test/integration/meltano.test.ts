/**
 * The project's meltano.yml, run by Meltano in a throwaway copy of the repository (what a clone holds),
 * with a PATH that has no Node.js: `meltano install` installs tap-crm from its pip_url (the project's
 * folder: pyproject.toml), and skips the loaders, which setup.sh installed with `meltano install` from
 * this same meltano.yml (linked in); settings from environment variables. Meltano keeps the state between
 * runs; the second run is incremental.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, symlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { PACKAGE, ROOT } from '../../src/paths.js';
import { startSimulator, STREAM_NAMES, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { endpoint } from '../../src/simulator/endpoints.js';
import { STREAMS } from '../../src/streams.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import {
  copyRepository,
  explain,
  nodeFreePath,
  Pg,
  sh,
  tempDir,
  truthIds,
  uniqueSchema,
  untilNextSecond,
  type ShResult,
} from './helpers.js';

interface MeltanoSetting {
  name: string;
  kind?: string;
  sensitive?: boolean;
  options?: { value: string }[];
}

interface MeltanoPlugin {
  name: string;
  namespace?: string;
  executable?: string;
  pip_url?: string;
  capabilities?: string[];
  settings?: MeltanoSetting[];
  config?: Record<string, unknown>;
  select?: string[];
}

interface MeltanoYml {
  plugins: { extractors: MeltanoPlugin[]; loaders: MeltanoPlugin[] };
}

interface SettingSchema {
  type: string;
  format?: string;
  pattern?: string;
  enum?: string[];
  secret?: boolean;
}

interface About {
  capabilities: string[];
  settings: { properties: Record<string, SettingSchema> };
}

interface SingerState {
  bookmarks: Record<string, { replication_key?: string; replication_key_value?: string }>;
}

/** The Meltano kind for a setting of schemas/settings.json. */
function meltanoKind(s: SettingSchema): string {
  if (s.enum) return 'options';
  // A string that takes a date and nothing but a date (start_date: a date or a date-time) is Meltano's date kind.
  const takesDates = (pattern: RegExp) => pattern.test('2024-01-31') && !pattern.test('January');
  if (s.type === 'string' && (s.format === 'date-time' || (s.pattern !== undefined && takesDates(new RegExp(s.pattern)))))
    return 'date_iso8601';
  return (
    // A number is an integer to Meltano: its decimal kind fails when set from an environment variable (Meltano 4.4.1).
    ({ string: 'string', integer: 'integer', number: 'integer', boolean: 'boolean', object: 'object' } as Record<string, string>)[s.type] ??
    `no kind for ${s.type}`
  );
}

const sorted = (ids: Iterable<number>): number[] => [...ids].sort((a, b) => a - b);

describe('Meltano: meltano.yml in a throwaway project', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let project: string;
  let install: ShResult;
  let pg: Pg;
  let schema: string;
  /** The command that `meltano install` installed. */
  const tapCrm = (): string => join(project, '.meltano', 'extractors', 'tap-crm', 'venv', 'bin', 'tap-crm');

  /**
   * Runs `meltano ARGS` in the project, settings from the environment as a user would give them, with no
   * Node.js on the PATH (`withNode`: the Node.js that runs the tests first on it).
   */
  function meltano(args: string, options: { cwd?: string; withNode?: boolean } = {}): Promise<ShResult> {
    const { host, port, user, password, database } = env.pg;
    return sh(`'${env.meltano}' ${args}`, {
      cwd: options.cwd ?? project,
      ...(options.withNode ? { path: [] } : { pathOnly: nodeFreePath() }),
      timeoutMs: 280_000,
      env: {
        MELTANO_SEND_ANONYMOUS_USAGE_STATS: 'false',
        MELTANO_CLI_DISABLE_VERSION_CHECK: 'true',
        TAP_CRM_API_KEY: sim.apiKey,
        TAP_CRM_BASE_URL: sim.baseUrl,
        TAP_CRM_REQUESTS_PER_MINUTE: '100000',
        // A setting of every Meltano kind, so that what Meltano writes into the tap's config is accepted.
        TAP_CRM_AUTH_METHOD: 'header',
        TAP_CRM_START_DATE: '2000-01-01T00:00:00Z',
        TAP_CRM_MAX_CONCURRENCY: '4',
        TAP_CRM_USER_AGENT: 'tap-crm-integration-test',
        TAP_CRM_REQUEST_TIMEOUT: '30',
        TAP_CRM_ACTIVATE_VERSION: 'false',
        TAP_CRM_LOG_LEVEL: 'INFO',
        TARGET_POSTGRES_HOST: host,
        TARGET_POSTGRES_PORT: String(port),
        TARGET_POSTGRES_USER: user,
        TARGET_POSTGRES_PASSWORD: password,
        TARGET_POSTGRES_DATABASE: database,
        TARGET_POSTGRES_DEFAULT_TARGET_SCHEMA: schema,
      },
    });
  }

  async function storedState(stateId: string): Promise<SingerState> {
    const out = await meltano(`state get ${stateId}`);
    expect(out.code, explain(out)).to.equal(0);
    return (JSON.parse(out.stdout) as { singer_state: SingerState }).singer_state;
  }

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    schema = uniqueSchema('meltano');
    sim = await startSimulator({ records: 1500, seed: 31, rpm: 0 });
    project = tempDir('meltano');
    copyRepository(project);
    // The loaders that setup.sh installed with `meltano install` from this same meltano.yml: `meltano
    // install` finds them up to date and leaves them as they are.
    mkdirSync(join(project, '.meltano'));
    symlinkSync(env.meltanoLoaders, join(project, '.meltano', 'loaders'));
    const which = await sh('command -v node nodejs npm npx || true', { cwd: project, pathOnly: nodeFreePath() });
    expect(which.stdout, 'Node.js on the PATH of the test').to.equal('');
    install = await meltano('install');
    expect(install.code, explain(install)).to.equal(0);
  });

  after(async () => {
    await sim?.close();
    if (pg && schema) await pg.dropSchema(schema);
  });

  it('meltano install builds and installs tap-crm from its pip_url, and its command runs with no Node.js on the PATH', async () => {
    expect(install.stderr, explain(install)).to.include("Installed extractor 'tap-crm'");
    expect(existsSync(tapCrm()), tapCrm()).to.equal(true);
    const version = await sh(`'${tapCrm()}' --version`, { cwd: project, pathOnly: nodeFreePath() });
    expect(version.code, explain(version)).to.equal(0);
    expect(version.stdout.trim()).to.equal(PACKAGE.version);
  });

  it('declares tap-crm as `tap-crm --about` describes it: capabilities, and each setting with its Meltano kind', async () => {
    const python = join(dirname(env.meltano), 'python');
    const dump = await sh(`'${python}' -c 'import json, sys, yaml; json.dump(yaml.safe_load(open("meltano.yml")), sys.stdout)'`, {
      cwd: ROOT,
    });
    expect(dump.code, explain(dump)).to.equal(0);
    const yml = JSON.parse(dump.stdout) as MeltanoYml;
    const about = await sh(`'${tapCrm()}' --about --format json`, { cwd: project, pathOnly: nodeFreePath() });
    expect(about.code, explain(about)).to.equal(0);
    const { capabilities, settings } = JSON.parse(about.stdout) as About;

    const tap = yml.plugins.extractors.find((p) => p.name === 'tap-crm')!;
    // The project's own folder, quoted for shlex (a path with spaces stays one argument).
    expect(tap).to.include({ namespace: 'tap_crm', executable: 'tap-crm', pip_url: '"$MELTANO_PROJECT_ROOT"' });
    expect(tap.capabilities).to.deep.equal(capabilities);
    const optIn = STREAMS.filter((s) => !s.selectedByDefault).map((s) => `!${s.name}.*`);
    expect(tap.select, 'every stream the tap selects by default').to.deep.equal(['*.*', ...optIn]);
    const declared = Object.fromEntries((tap.settings ?? []).map((s) => [s.name, s]));
    expect(Object.keys(declared).sort()).to.deep.equal(Object.keys(settings.properties).sort());
    for (const [name, s] of Object.entries(settings.properties)) {
      expect(declared[name]!.kind, name).to.equal(meltanoKind(s));
      expect(declared[name]!.sensitive ?? false, `${name} sensitive`).to.equal(s.secret ?? false);
      if (s.enum)
        expect(
          declared[name]!.options!.map((o) => o.value),
          name,
        ).to.deep.equal(s.enum);
    }

    // meltano-hub.yml (the Hub definition, generated from the same sources) declares the same.
    const hubDump = await sh(`'${python}' -c 'import json, sys, yaml; json.dump(yaml.safe_load(open("meltano-hub.yml")), sys.stdout)'`, {
      cwd: ROOT,
    });
    expect(hubDump.code, explain(hubDump)).to.equal(0);
    const hub = JSON.parse(hubDump.stdout) as MeltanoPlugin & { settings_group_validation: string[][]; label: string };
    expect(hub).to.include({ name: 'tap-crm', namespace: 'tap_crm', executable: 'tap-crm' });
    expect(hub.capabilities).to.deep.equal(capabilities);
    expect(hub.settings_group_validation).to.deep.equal([['api_key', 'base_url']]);
    expect(
      hub.settings!.map(({ name, kind, sensitive, options }) => ({ name, kind, sensitive, options: options?.map((o) => o.value) })),
    ).to.deep.equal(
      tap.settings!.map(({ name, kind, sensitive, options }) => ({ name, kind, sensitive, options: options?.map((o) => o.value) })),
    );
    for (const s of hub.settings as (MeltanoSetting & { label?: string; description?: string })[]) {
      expect(s.label, s.name).to.be.a('string').and.not.equal('');
      expect(s.description, s.name).to.be.a('string').and.not.equal('');
    }

    const loaders = Object.fromEntries(yml.plugins.loaders.map((p) => [p.name, p]));
    expect(loaders['target-postgres']).to.include({ pip_url: 'meltanolabs-target-postgres==0.8.1', namespace: 'target_postgres' });
    expect(loaders['target-postgres']!.config).to.include({ load_method: 'upsert' });
    expect(loaders['target-jsonl']).to.include({ pip_url: 'target-jsonl==0.1.4', namespace: 'target_jsonl' });
  });

  it('hands the tap a config of the right JSON types, from settings of every kind', async () => {
    const dump = await meltano('invoke --dump=config tap-crm');
    expect(dump.code, explain(dump)).to.equal(0);
    expect(JSON.parse(dump.stdout)).to.deep.equal({
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      auth_method: 'header',
      start_date: '2000-01-01T00:00:00Z',
      requests_per_minute: 100_000,
      max_concurrency: 4,
      request_timeout: 30,
      user_agent: 'tap-crm-integration-test',
      activate_version: false,
      log_level: 'INFO',
    });
  });

  describe('meltano run tap-crm target-jsonl', () => {
    let first: ShResult;
    const output = () => join(project, 'output');

    /** The ids of each stream in target-jsonl's files under `dir`. */
    function jsonlIds(dir: string): Record<string, number[]> {
      const ids: Record<string, number[]> = {};
      for (const file of readdirSync(dir)) {
        const stream = /^(.+)-\d{8}T\d{6}\.jsonl$/.exec(file)?.[1];
        if (!stream) continue;
        const lines = readFileSync(join(dir, file), 'utf8')
          .split('\n')
          .filter((l) => l.length > 0);
        (ids[stream] ??= []).push(...lines.map((l) => (JSON.parse(l) as { id: number }).id));
      }
      return ids;
    }

    before(async () => {
      first = await meltano('run --no-install tap-crm target-jsonl');
    });

    it('writes every stream selected by default, each with exactly the simulator ids', () => {
      expect(first.code, explain(first)).to.equal(0);
      const ids = jsonlIds(output());
      expect(Object.keys(ids).sort()).to.deep.equal([...STREAM_NAMES].sort());
      for (const stream of STREAM_NAMES) expect(sorted(ids[stream]!), stream).to.deep.equal(truthIds(sim, stream));
    });

    it('the second run gets the state Meltano stored and is incremental', async () => {
      const state = await storedState('dev:tap-crm-to-target-jsonl');
      const bookmark = state.bookmarks.tickets!.replication_key_value!;
      const atBookmark = sim
        .truth()
        .tickets.filter((r) => Date.parse(r.updated_at!) === Date.parse(bookmark))
        .map((r) => r.id);
      renameSync(output(), join(project, 'output-run-1'));
      const change = sim.mutate({ stream: 'tickets', update: 3, insert: 2 });
      sim.resetStats();
      await untilNextSecond();

      const second = await meltano('run --no-install tap-crm target-jsonl');
      expect(second.code, explain(second)).to.equal(0);
      expect(sim.stats().endpoints.tickets!.values.since_updated_at).to.deep.equal([new Date(Date.parse(bookmark)).toISOString()]);
      const ids = jsonlIds(output());
      expect(sorted(ids.tickets!)).to.deep.equal(sorted(new Set([...change.updated, ...change.inserted, ...atBookmark])));
      expect(sorted(ids.products!), 'products is full table').to.deep.equal(truthIds(sim, 'products'));
      const after = await storedState('dev:tap-crm-to-target-jsonl');
      expect(Date.parse(after.bookmarks.tickets!.replication_key_value!)).to.equal(Date.parse(change.updated_at!));
    });
  });

  describe('meltano run tap-crm target-postgres', () => {
    let first: ShResult;

    before(async () => {
      first = await meltano('run --no-install tap-crm target-postgres');
    });

    it('loads each of the 27 streams with exactly the simulator ids, and Meltano stores the state', async () => {
      expect(first.code, explain(first)).to.equal(0);
      expect(await pg.tables(schema)).to.deep.equal([...STREAM_NAMES].sort());
      for (const stream of STREAM_NAMES) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
      const state = await storedState('dev:tap-crm-to-target-postgres');
      for (const stream of STREAM_NAMES.filter((s) => endpoint(s).timestamps)) {
        expect(state.bookmarks[stream], stream).to.include({ replication_key: 'updated_at' });
      }
    });

    it('the second run is incremental and upserts: changed rows in place, new rows in, no duplicates', async () => {
      const state = await storedState('dev:tap-crm-to-target-postgres');
      const changes = (['tickets', 'customers', 'payments'] as StreamName[]).map((stream) => sim.mutate({ stream, update: 3, insert: 2 }));
      sim.resetStats();
      const second = await meltano('run --no-install tap-crm target-postgres');
      expect(second.code, explain(second)).to.equal(0);
      expect(sim.stats().endpoints.tickets!.values.since_updated_at).to.deep.equal([
        new Date(Date.parse(state.bookmarks.tickets!.replication_key_value!)).toISOString(),
      ]);
      for (const stream of STREAM_NAMES) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
      for (const change of changes) {
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

  describe('meltano-hub.yml: `meltano add tap-crm --from-ref` into a fresh project, with structured logging', () => {
    let fresh: string;

    before(async () => {
      fresh = join(tempDir('meltano-hub'), 'project');
      const init = await meltano(`init '${fresh}' --no_usage_stats`, { cwd: dirname(fresh) });
      expect(init.code, explain(init)).to.equal(0);
      // The Hub definition as published, its pip_url pointed at the clone (the throwaway copy).
      const hub = readFileSync(join(ROOT, 'meltano-hub.yml'), 'utf8').replace(/^pip_url: .*$/m, `pip_url: '${project}'`);
      writeFileSync(join(fresh, 'hub.yml'), hub);
      const add = await meltano('add tap-crm --from-ref hub.yml', { cwd: fresh });
      expect(add.code, explain(add)).to.equal(0);
      // A loader to run into: target-jsonl as the project's meltano.yml declares it, installed by setup.sh.
      const yml = readFileSync(join(ROOT, 'meltano.yml'), 'utf8');
      const jsonl = /\n {2}- name: target-jsonl\n(?: {4}.*\n)+/.exec(yml)![0];
      writeFileSync(join(fresh, 'meltano.yml'), readFileSync(join(fresh, 'meltano.yml'), 'utf8') + '  loaders:' + jsonl);
      symlinkSync(env.meltanoLoaders, join(fresh, '.meltano', 'loaders'));
    });

    it('adds and installs tap-crm as the Hub would list it: label, variant, capabilities structured-logging included', () => {
      const yml = readFileSync(join(fresh, 'meltano.yml'), 'utf8');
      expect(yml).to.include('label: Syncro MSP / RepairShopr');
      expect(yml).to.include('- structured-logging');
      expect(existsSync(join(fresh, '.meltano', 'extractors', 'tap-crm', 'venv', 'bin', 'tap-crm'))).to.equal(true);
    });

    it("meltano run tap-crm target-jsonl works; the tap's log lines reach Meltano parsed (structured)", async () => {
      const run = await meltano('--log-format=json run --no-install tap-crm target-jsonl', { cwd: fresh });
      expect(run.code, explain(run)).to.equal(0);
      const ids = readdirSync(join(fresh, 'output')).filter((f) => f.startsWith('tickets-'));
      expect(ids.length).to.equal(1);
      // Meltano logs each parsed line of the tap as an event of its own, with the tap's level and stream.
      const tapLines = run.stderr
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((e) => e.string_id === 'tap-crm' && e.stdio === 'stderr');
      expect(tapLines.length).to.be.greaterThan(10);
      expect(tapLines.some((e) => e.stream_name === 'tickets')).to.equal(true);
      expect(tapLines.some((e) => e.event === 'METRIC' && typeof e.metric_info === 'object')).to.equal(true);
      expect(tapLines.every((e) => typeof e.event === 'string' && !e.event.startsWith('{'))).to.equal(true);
    });

    it("every stderr line of a sync with Meltano's logging configuration parses with Meltano's SingerSDKLogParser", async () => {
      const work = tempDir('structured');
      const logConfig = join(work, 'logging.json');
      writeFileSync(
        logConfig,
        JSON.stringify({
          version: 1,
          formatters: { singer_formatter: { '()': 'singer_sdk.logging.StructuredFormatter' } },
          handlers: { console: { class: 'logging.StreamHandler', formatter: 'singer_formatter', stream: 'ext://sys.stderr' } },
          root: { handlers: ['console'], level: 'INFO' },
        }),
      );
      const config = join(work, 'config.json');
      writeFileSync(config, JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 }));
      const tap = join(fresh, '.meltano', 'extractors', 'tap-crm', 'venv', 'bin', 'tap-crm');
      const run = await sh(
        `SINGER_SDK_LOG_CONFIG='${logConfig}' '${tap}' --config '${config}' > /dev/null 2> '${join(work, 'stderr.log')}'`,
        {
          cwd: work,
          pathOnly: nodeFreePath(),
        },
      );
      expect(run.code, explain(run)).to.equal(0);
      const parse = await sh(
        `'${join(dirname(env.meltano), 'python')}' '${join(ROOT, 'test', 'integration', 'meltano_log_parse.py')}' '${join(work, 'stderr.log')}'`,
        { cwd: work },
      );
      expect(parse.code, explain(parse)).to.equal(0);
      const parsed = JSON.parse(parse.stdout) as {
        lines: number;
        refused: string[];
        streams: Record<string, number>;
        metrics: number;
        messages: string[];
      };
      expect(parsed.refused).to.deep.equal([]);
      expect(parsed.lines).to.be.greaterThan(30);
      expect(parsed.metrics, 'METRIC lines as metric_info').to.be.greaterThan(20);
      expect(Object.keys(parsed.streams)).to.include.members(['tickets', 'customers']);
      expect(parsed.messages.some((m) => m.startsWith('stream '))).to.equal(true);
      expect(readFileSync(join(work, 'stderr.log'), 'utf8')).not.to.include(sim.apiKey);
    });
  });

  it("without the pip_url, runs the working tree's build, dist/src/cli.js, as a project-relative executable (Node.js on the PATH)", async () => {
    const local = tempDir('meltano-local');
    const yml = readFileSync(join(ROOT, 'meltano.yml'), 'utf8');
    const entry = '\n    pip_url: \'"$MELTANO_PROJECT_ROOT"\'\n    executable: tap-crm\n';
    expect(yml).to.include(entry);
    writeFileSync(join(local, 'meltano.yml'), yml.replace(entry, '\n    executable: dist/src/cli.js\n'));
    symlinkSync(join(ROOT, 'dist'), join(local, 'dist'));
    const which = await sh('command -v tap-crm || true', { cwd: local, path: [] });
    expect(which.stdout, 'tap-crm on the PATH').to.equal('');
    const run = await meltano('config test tap-crm', { cwd: local, withNode: true });
    expect(run.code, explain(run)).to.equal(0);
    expect(run.stdout).to.include('Plugin configuration is valid');
  });

  it('meltano config test tap-crm: Meltano stops the tap with SIGTERM after its first RECORD; it exits 143 at once, cleanly', async () => {
    // Slow answers, so that the tap is still syncing when Meltano's SIGTERM comes. Meltano buffers up to
    // 10 MiB of the tap's output (elt.buffer_size) and logs each line before it looks at the next: a fast
    // sync of this small account can end, with exit code 0, before Meltano reaches the first RECORD.
    sim.configure({ latencyMs: 1000 });
    const run = await meltano('--log-level=debug config test tap-crm').finally(() => {
      sim.configure({ latencyMs: 0 });
    });
    expect(run.code, explain(run)).to.equal(0);
    expect(run.stdout).to.include('Plugin configuration is valid');
    // Meltano logs each line of the tap (stdout and stderr together) and the tap's exit code at debug level.
    expect(run.stderr, explain(run)).to.include('Process return code: 143');
    expect(run.stderr).not.to.match(/CRITICAL|Traceback|EPIPE/);
  });
});
