/**
 * The container image (the Dockerfile), built by test/image/setup.sh with podman and no registry, run the
 * ways the Airbyte platform and its tools run it, against the simulator on 127.0.0.1 (containers share the
 * host's network: setup.sh's containers.conf). `docker` is podman here (setup.sh's shim, first on the PATH).
 *   - what the platform reads from the image: the io.airbyte labels, AIRBYTE_ENTRYPOINT, the user (uid
 *     1000, as Airbyte's own images and its rootless pods), kept in step with package.json and metadata.yaml;
 *     and its size over the base (at most 60 MB);
 *   - Airbyte's standard connector tests (airbyte-cdk 7.39.1's FAST suite, test/image/test_standard.py):
 *     every test that applies passes, every skip is one of the reasons listed here;
 *   - PyAirbyte 0.71.3 with docker_image=: every default stream into DuckDB with exactly the simulator's
 *     ids, then a second read, incremental from the state PyAirbyte kept;
 *   - the Singer flags through the image, piped into MeltanoLabs target-postgres, twice (with the state);
 *   - who may read the config: a file only its owner can read fails with a clear message, and the same
 *     file works with `--user` set to its owner (Airbyte's own test runner's way); any uid and a
 *     read-only root file system work;
 *   - `docker stop` (SIGTERM to the tap, PID 1), as the platform cancels a sync: exit 143, whole messages.
 * A missing podman or image fails these tests (setup.sh installs and builds them), never skips them.
 */
import { expect } from 'chai';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE, ROOT } from '../../src/paths.js';
import { startSimulator, STREAM_NAMES, type Simulator } from '../../src/simulator/server.js';
import { STREAMS } from '../../src/streams.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, truthIds, uniqueSchema, writeJson } from './helpers.js';

const ENV_FILE = join(ROOT, 'test', 'integration', '.env.integration.image');
const DEFAULT_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);
const MB = 1_000_000;

interface ImageEnv {
  image: string;
  base: string;
  /** The folder of the `docker` that runs podman. */
  dockerDir: string;
  pytest: string;
}

function imageEnv(): ImageEnv {
  if (!existsSync(ENV_FILE)) throw new Error(`${ENV_FILE} is missing: run \`bash test/image/setup.sh\` first (it builds the image)`);
  const vars = new Map<string, string>();
  for (const line of readFileSync(ENV_FILE, 'utf8').split('\n')) {
    const m = /^(TAP_CRM_IMAGE\w*)=(.*)$/.exec(line.trim());
    if (m) vars.set(m[1]!, m[2]!);
  }
  const get = (name: string): string => {
    const v = vars.get(name);
    if (!v) throw new Error(`${ENV_FILE} has no ${name}: run \`bash test/image/setup.sh\` again`);
    return v;
  };
  return {
    image: get('TAP_CRM_IMAGE'),
    base: get('TAP_CRM_IMAGE_BASE'),
    dockerDir: get('TAP_CRM_IMAGE_DOCKER_DIR'),
    pytest: get('TAP_CRM_IMAGE_PYTEST'),
  };
}

/** The value of `key: value` on a line of metadata.yaml (a flat look-up: no YAML parser in the project). */
function metadataValue(key: string): string {
  const m = new RegExp(`^\\s+${key}: (\\S+)`, 'm').exec(readFileSync(join(ROOT, 'metadata.yaml'), 'utf8'));
  if (!m) throw new Error(`metadata.yaml has no ${key}`);
  return m[1]!;
}

/** The tests of test/image/test_standard.py that must pass: all those that apply to a source with these configs. */
const STANDARD_PASSES = [
  'test_docker_image_build_and_spec',
  "test_docker_image_build_and_check['invalid_config' Test Scenario]",
  "test_docker_image_build_and_check['config' Test Scenario]",
  "test_docker_image_build_and_config_matches_spec['config' Test Scenario]",
  "test_docker_image_build_and_discover['config' Test Scenario]",
  "test_docker_image_build_and_read['config' Test Scenario]",
  'test_spec',
  "test_config_matches_spec['config' Test Scenario]",
  "test_check['invalid_config' Test Scenario]",
  "test_check['config' Test Scenario]",
  "test_discover['config' Test Scenario]",
  "test_basic_read['config' Test Scenario]",
  "test_fail_read_with_bad_catalog['config' Test Scenario]",
];

/**
 * The skips allowed, each with its reason: the spec backward-compatibility test compares the spec with the
 * version published in Airbyte's connector registry, which is not reachable here (and tap-crm is not
 * published there); the invalid config is listed under `connection` only, so the CDK skips the other
 * commands' tests for it.
 */
const ALLOWED_SKIPS = [
  /Skipping the spec backward-compatibility check of `[\w-]+`: the connector registry could not be reached/,
  /has no published version to compare against/,
  /`(spec|discover|read)` does not run for scenario 'invalid_config': its config is listed under `connection`/,
];

describe('the container image (Dockerfile), as the Airbyte platform and its tools run it', function () {
  this.timeout(600_000);
  let img: ImageEnv;
  let env: IntegrationEnv;
  let sim: Simulator;
  let work: string;

  const docker = (args: string, cwd = work) => sh(`docker ${args}`, { cwd, path: [img.dockerDir], timeoutMs: 300_000 });
  const inspect = async <T>(format: string, image: string): Promise<T> => {
    const run = await docker(`image inspect --format '${format}' '${image}'`);
    expect(run.code, explain(run)).to.equal(0);
    return JSON.parse(run.stdout) as T;
  };

  before(async () => {
    img = imageEnv();
    env = integrationEnv();
    sim = await startSimulator({ records: 1500, seed: 61, rpm: 0 });
    work = tempDir('image');
    // The image's user (uid 1000) reads what is mounted from here.
    chmodSync(work, 0o755);
    writeJson(work, 'config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    chmodSync(join(work, 'config.json'), 0o644);
  });
  after(async () => sim?.close());

  it('carries what the platform reads: io.airbyte labels, AIRBYTE_ENTRYPOINT as its entrypoint, uid 1000; versions in step', async () => {
    const config = await inspect<{ Labels: Record<string, string>; Env: string[]; Entrypoint: string[]; User: string; WorkingDir: string }>(
      '{{json .Config}}',
      img.image,
    );
    expect(config.Labels['io.airbyte.name']).to.equal(metadataValue('dockerRepository'));
    expect(config.Labels['io.airbyte.version']).to.equal(PACKAGE.version);
    expect(metadataValue('dockerImageTag'), 'metadata.yaml dockerImageTag').to.equal(PACKAGE.version);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).to.include(`ARG VERSION=${PACKAGE.version}\n`);
    expect(config.Env).to.include(`AIRBYTE_ENTRYPOINT=${config.Entrypoint.join(' ')}`);
    expect(config.Entrypoint).to.deep.equal(['/airbyte/integration_code/cli.js']);
    expect(config.User).to.equal('1000:1000');
    const id = await docker(`run --rm --entrypoint id '${img.image}' -u`);
    expect(id.stdout.trim(), explain(id)).to.equal('1000');
  });

  it('keeps its code owned by root, neither it nor its folder writable by its user (uid 1000), whose home is', async () => {
    const probe = [
      'cd /airbyte/integration_code',
      'for f in . cli.js page-worker.js package.json; do test -w "$f" && echo "writable $f"; done',
      'mv cli.js x.js 2>/dev/null && echo "renamed cli.js"',
      'touch new.js 2>/dev/null && echo "created new.js"',
      'stat -c "%u %n" . cli.js',
      'test -w /airbyte/home && echo "home writable"',
    ].join('; ');
    const run = await docker(`run --rm --entrypoint sh '${img.image}' -c '${probe}'`);
    expect(run.stdout.split('\n').filter(Boolean), explain(run)).to.deep.equal(['0 .', '0 cli.js', 'home writable']);
  });

  it('adds at most 60 MB to its base image', async () => {
    const size = await inspect<number>('{{.Size}}', img.image);
    const base = await inspect<number>('{{.Size}}', img.base);
    expect(size - base, `${((size - base) / MB).toFixed(1)} MB over the base`).to.be.at.most(60 * MB);
  });

  it('answers spec as the built tap does; the Singer flags (--version, --about) work through the same entrypoint', async () => {
    const fromImage = await docker(`run --rm '${img.image}' spec`);
    const local = await sh(`node '${TAP_BIN}' spec`, { cwd: work });
    expect(fromImage.code, explain(fromImage)).to.equal(0);
    expect(fromImage.stdout).to.equal(local.stdout);
    const version = await docker(`run --rm '${img.image}' --version`);
    expect(version.stdout.trim(), explain(version)).to.equal(PACKAGE.version);
    const about = await docker(`run --rm '${img.image}' --about`);
    expect((JSON.parse(about.stdout) as { version: string }).version).to.equal(PACKAGE.version);
  });

  it("passes Airbyte's standard connector tests (airbyte-cdk 7.39.1, --connector-image): spec, check, discover, read, basic read with schemas", async () => {
    // A connector folder of its own (the CDK finds it from the test file upward), with the configs in secrets/.
    const root = join(tempDir('standard-tests'), 'source-tap-crm');
    mkdirSync(join(root, 'test', 'image'), { recursive: true });
    for (const file of ['metadata.yaml', 'acceptance-test-config.yml', 'test/image/conftest.py', 'test/image/test_standard.py']) {
      copyFileSync(join(ROOT, file), join(root, file));
    }
    writeJson(root, 'secrets/config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    writeJson(root, 'secrets/invalid_config.json', { api_key: 'not-the-key-0123456789', base_url: sim.baseUrl });
    const run = await sh(`'${img.pytest}' test/image --connector-image '${img.image}' --read-from-streams=true -rA -p no:cacheprovider`, {
      cwd: root,
      path: [img.dockerDir],
      timeoutMs: 480_000,
    });
    expect(run.code, explain(run)).to.equal(0);
    const passed = [...run.stdout.matchAll(/^PASSED test\/image\/test_standard\.py::TestTapCrmImage::(.+)$/gm)].map((m) => m[1]!);
    expect(passed.sort()).to.deep.equal([...STANDARD_PASSES].sort());
    const skips = [...run.stdout.matchAll(/^SKIPPED \[\d+\] [^:]+:\d+: (.+)$/gm)].map((m) => m[1]!);
    for (const reason of skips)
      expect(
        ALLOWED_SKIPS.some((allowed) => allowed.test(reason)),
        reason,
      ).to.equal(true);
    expect(run.stdout).to.match(new RegExp(`^=+ ${STANDARD_PASSES.length} passed, \\d+ skipped`, 'm'));
  });

  it('PyAirbyte (docker_image=) reads every default stream into DuckDB with exactly the simulator ids; a second read is incremental', async () => {
    const dir = tempDir('pyairbyte-image');
    chmodSync(dir, 0o755);
    const config = writeJson(dir, 'config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const read = async () => {
      const run = await sh(
        `'${env.pyairbyte}' '${join(ROOT, 'test', 'integration', 'pyairbyte_read.py')}' '${dir}' 'docker_image=${img.image}' '${config}' '${DEFAULT_STREAMS.join(',')}'`,
        { cwd: dir, path: [img.dockerDir], timeoutMs: 300_000 },
      );
      expect(run.code, explain(run)).to.equal(0);
      const result = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
        ids?: Record<string, number[]>;
        duplicates?: Record<string, number>;
        error?: string;
        message?: string;
      };
      expect(result.error, result.message).to.equal(undefined);
      for (const stream of DEFAULT_STREAMS) {
        expect(result.ids![stream], stream).to.deep.equal(truthIds(sim, stream as never));
        expect(result.duplicates![stream], stream).to.equal(0);
      }
      return result;
    };
    await read();
    const tickets = sim.mutate({ stream: 'tickets', update: 3, insert: 2 });
    sim.resetStats();
    const second = await read();
    expect(sim.stats().endpoints.tickets!.values.since_updated_at, 'incremental: asked since the bookmark').to.have.length(1);
    expect(second.ids!.tickets).to.include.members(tickets.inserted);
  });

  it('runs as a Singer tap: `docker run IMAGE --config ...` piped into target-postgres, then again with the state', async () => {
    const pg = new Pg(env);
    const schema = uniqueSchema('image');
    const bin = binDir({ 'target-postgres': env.targetPostgres });
    writeJson(work, 't.json', targetPostgresConfig(env, schema));
    const tap = `docker run --rm -i -v "$PWD:/data:ro" '${img.image}' --config /data/config.json`;
    try {
      const first = await sh(`${tap} | target-postgres --config t.json > state-out.jsonl\ntail -n 1 state-out.jsonl > state.json`, {
        cwd: work,
        path: [img.dockerDir, bin],
      });
      expect(first.code, explain(first)).to.equal(0);
      expect(await pg.tables(schema)).to.deep.equal([...STREAM_NAMES].sort());
      for (const stream of STREAM_NAMES) expect(await pg.ids(schema, stream), stream).to.deep.equal(truthIds(sim, stream));
      chmodSync(join(work, 'state.json'), 0o644);
      const leads = sim.mutate({ stream: 'leads', update: 2, insert: 2 });
      sim.resetStats();
      const next = await sh(`${tap} --state /data/state.json | target-postgres --config t.json > state-out.jsonl`, {
        cwd: work,
        path: [img.dockerDir, bin],
      });
      expect(next.code, explain(next)).to.equal(0);
      expect(sim.stats().endpoints.tickets!.values.since_updated_at, 'incremental: asked since the bookmark').to.have.length(1);
      expect(await pg.ids(schema, 'leads')).to.deep.equal(truthIds(sim, 'leads'));
      expect(await pg.ids(schema, 'leads')).to.include.members(leads.inserted);
    } finally {
      await pg.dropSchema(schema);
    }
  });

  it('a config only its owner may read: a clear FAILED status as uid 1000, SUCCEEDED with --user set to its owner', async () => {
    const dir = tempDir('private'); // 0700, as PyAirbyte's AIRBYTE_TEMP_DIR may be
    writeFileSync(join(dir, 'config.json'), JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl }), { mode: 0o600 });
    const check = (user: string) =>
      docker(`run --rm ${user} -v '${dir}:/secrets:ro' '${img.image}' check --config /secrets/config.json`, dir);
    const refused = await check('');
    expect(refused.code, explain(refused)).to.equal(0);
    expect(JSON.parse(refused.stdout.trim().split('\n').at(-1)!)).to.deep.equal({
      type: 'CONNECTION_STATUS',
      connectionStatus: {
        status: 'FAILED',
        message: 'config file /secrets/config.json cannot be read (EACCES): check the path and its permissions.',
      },
    });
    const owner = await check('--user "$(id -u):$(id -g)"');
    expect(owner.stdout, explain(owner)).to.include('"status":"SUCCEEDED"');
  });

  it('stopped as the platform stops a sync (`docker stop`: SIGTERM to the tap, PID 1): a clean stop, exit 143', async () => {
    const catalog = await sh(`node '${TAP_BIN}' discover`, { cwd: work });
    const streams = (JSON.parse(catalog.stdout) as { catalog: { streams: { name: string }[] } }).catalog.streams;
    writeJson(work, 'catalog.json', {
      streams: streams.map((stream) => ({ stream, sync_mode: 'full_refresh', destination_sync_mode: 'append' })),
    });
    chmodSync(join(work, 'catalog.json'), 0o644);
    const name = `tap-crm-it-stop-${process.pid}`;
    sim.configure({ latencyMs: 300 });
    try {
      const run = await sh(
        [
          `docker run --rm -i --name ${name} -v "$PWD:/secrets:ro" '${img.image}' read --config /secrets/config.json --catalog /secrets/catalog.json > stop.jsonl &`,
          'tap=$!',
          'for _ in $(seq 600); do grep -q \'"type":"RECORD"\' stop.jsonl && break; sleep 0.1; done',
          `docker stop --time 20 ${name} >/dev/null`,
          'code=0; wait "$tap" || code=$?',
          'echo "exit $code"',
        ].join('\n'),
        { cwd: work, path: [img.dockerDir], timeoutMs: 120_000 },
      );
      expect(run.stdout.trim(), explain(run)).to.equal('exit 143');
      const lines = readFileSync(join(work, 'stop.jsonl'), 'utf8').trim().split('\n');
      // Whole messages only, the tap's last word the signal (and the state reached, when a stream had finished).
      const messages = lines.map((l) => JSON.parse(l) as { type: string; log?: { message: string } });
      expect(messages.some((m) => m.type === 'RECORD')).to.equal(true);
      expect(messages.at(-1)!.log?.message).to.match(/^interrupted by SIGTERM; writing the state reached so far/);
    } finally {
      sim.configure({ latencyMs: 0 });
    }
  });

  it('runs under any uid and on a read-only root file system (it writes no file)', async () => {
    const run = await docker(
      `run --rm --read-only --user 4242:4242 -v "$PWD:/secrets:ro" '${img.image}' check --config /secrets/config.json`,
    );
    expect(run.stdout, explain(run)).to.include('"status":"SUCCEEDED"');
  });
});
