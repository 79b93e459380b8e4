/**
 * The npm package: `npm pack` in a copy of the repository (prepack builds dist/) gives a tarball that `npm install -g` installs with the
 * tap-crm and crm-simulator commands and the runtime dependencies only, and that `npx` runs.
 */
import { expect } from 'chai';
import { readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { PACKAGE, ROOT } from '../../src/paths.js';
import { startSimulator, STREAM_NAMES, type Simulator } from '../../src/simulator/server.js';
import { idsByStream, type SingerMessage } from '../helpers/run-tap.js';
import { copyRepository, explain, sh, tempDir, truthIds, writeJson } from './helpers.js';

const sorted = (ids: Iterable<number>): number[] => [...ids].sort((a, b) => a - b);

interface PackageJson {
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
  bin: Record<string, string>;
}

describe('npm pack: the tarball, installed with npm install -g into a temporary prefix, and npx', function () {
  this.timeout(300_000);
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as PackageJson;
  let work: string;
  let tarball: string;
  let prefix: string;
  let sim: Simulator;

  before(async () => {
    work = tempDir('npm');
    // From a copy of the repository, which has no dist/ (prepack builds it), with its node_modules (npm ci).
    const clone = join(work, 'clone');
    copyRepository(clone);
    symlinkSync(join(ROOT, 'node_modules'), join(clone, 'node_modules'));
    const pack = await sh(`npm pack --silent --pack-destination '${work}'`, { cwd: clone });
    expect(pack.code, explain(pack)).to.equal(0);
    tarball = join(work, pack.stdout.trim().split('\n').at(-1)!);
    expect(tarball).to.equal(join(work, `tap-crm-${PACKAGE.version}.tgz`));
    prefix = join(work, 'prefix');
    const install = await sh(`npm install -g --prefix '${prefix}' --no-audit --no-fund '${tarball}'`, { cwd: work });
    expect(install.code, explain(install)).to.equal(0);
    sim = await startSimulator({ records: 1500, seed: 41, rpm: 0 });
  });

  after(async () => {
    await sim?.close();
  });

  it('holds the built tap, the schemas, the catalog and package.json; no sources, tests, source maps or Python package', async () => {
    const list = await sh(`tar -tzf '${tarball}'`, { cwd: work });
    expect(list.code, explain(list)).to.equal(0);
    const files = list.stdout
      .trim()
      .split('\n')
      .map((f) => f.replace(/^package\//, ''));
    expect(files).to.include.members([
      'package.json',
      'README.md',
      'LICENSE',
      'dist/src/cli.js',
      'dist/src/sync/page-worker.js',
      'dist/src/simulator/cli.js',
      'catalog/catalog.json',
    ]);
    for (const schema of readdirSync(join(ROOT, 'schemas'))) expect(files).to.include(`schemas/${schema}`);
    const unwanted = files.filter(
      (f) => !/^(package\.json|README\.md|LICENSE|dist\/src\/.+\.js|schemas\/.+\.json|catalog\/catalog\.json)$/.test(f),
    );
    expect(unwanted, 'files outside dist/src/*.js, schemas/, catalog/').to.deep.equal([]);
    expect(files.filter((f) => f.startsWith('dist/src/tools/'))).to.deep.equal([]); // the build tools, demo and generate (dev dependencies)
  });

  it('installs tap-crm and crm-simulator, with the runtime dependencies only', async () => {
    expect(readdirSync(join(prefix, 'bin')).sort()).to.deep.equal(Object.keys(pkg.bin).sort());
    const run = await sh('tap-crm --version && tap-crm --about --format json && crm-simulator --help', {
      cwd: work,
      path: [join(prefix, 'bin')],
    });
    expect(run.code, explain(run)).to.equal(0);
    expect(run.stdout.split('\n', 1)[0]).to.equal(PACKAGE.version);
    expect(run.stdout).to.include(`"version": "${PACKAGE.version}"`);
    const installed = readdirSync(join(prefix, 'lib', 'node_modules', 'tap-crm', 'node_modules'));
    expect(installed).to.include.members(Object.keys(pkg.dependencies));
    expect(installed.filter((name) => name in pkg.devDependencies || name.startsWith('@types'))).to.deep.equal([]);
  });

  it('syncs every stream from the simulator with the installed tap-crm', async () => {
    const config = writeJson(work, 'config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const run = await sh(`tap-crm --config '${config}'`, { cwd: work, path: [join(prefix, 'bin')] });
    expect(run.code, explain(run)).to.equal(0);
    const messages = run.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as SingerMessage);
    const ids = idsByStream(messages);
    expect(Object.keys(ids).sort()).to.deep.equal([...STREAM_NAMES].sort());
    for (const stream of STREAM_NAMES) expect(sorted(ids[stream]!), stream).to.deep.equal(truthIds(sim, stream));
  });

  it('npx runs tap-crm from the tarball', async () => {
    // An npm cache of its own: npx keeps what it installs there (under _npx), keyed by the tarball's path.
    const run = await sh(`npx --yes --cache '${join(work, 'npx-cache')}' --package '${tarball}' -- tap-crm --version`, {
      cwd: tempDir('npx'),
    });
    expect(run.code, explain(run)).to.equal(0);
    expect(run.stdout.trim()).to.equal(PACKAGE.version);
  });
});
