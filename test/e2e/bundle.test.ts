/**
 * The bundle of the Python package (python/bundle.ts, `npm run bundle`), built into a temporary folder and
 * run there with no node_modules about, as the wheel's launcher runs it: `node FLAGS cli.js ARGS`, FLAGS
 * being those of src/cli.ts's shebang. pip.test.ts (integration) runs it from a pip install.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { bundle, shebangFlags } from '../../python/bundle.js';
import { PACKAGE, ROOT } from '../../src/paths.js';
import { STREAMS } from '../../src/streams.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { idsByStream, tempJson, type SingerMessage } from '../helpers/run-tap.js';

function run(cwd: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd, env: { PATH: process.env.PATH }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, stdout, stderr });
    });
  });
}

describe('the bundle of the Python package (npm run bundle)', function () {
  this.timeout(60_000);
  let dir: string;
  let flags: string[];
  let sim: Simulator;

  before(async () => {
    // Outside the repository: no package.json or node_modules above the bundle but its own.
    dir = join(mkdtempSync(join(tmpdir(), 'tap-crm-bundle-')), 'js');
    await bundle(dir);
    flags = shebangFlags(readFileSync(join(ROOT, 'src', 'cli.ts'), 'utf8').split('\n', 1)[0]!);
    sim = await startSimulator({ records: 800, seed: 5, rpm: 0 });
  });

  after(async () => {
    await sim?.close();
    rmSync(dirname(dir), { recursive: true, force: true });
  });

  it('is cli.js (starting with the shebang of src/cli.ts), page-worker.js, package.json (name, version) and schemas/', () => {
    expect(readdirSync(dir).sort()).to.deep.equal(['cli.js', 'package.json', 'page-worker.js', 'schemas']);
    expect(readFileSync(join(dir, 'cli.js'), 'utf8').split('\n', 1)[0]).to.equal(
      readFileSync(join(ROOT, 'src', 'cli.ts'), 'utf8').split('\n', 1)[0],
    );
    expect(flags).to.deep.equal(['--max-semi-space-size=2', '--max-old-space-size=128', '--initial-old-space-size=24']);
    expect(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'))).to.include({
      name: PACKAGE.name,
      version: PACKAGE.version,
      type: 'module',
    });
    expect(readdirSync(join(dir, 'schemas')).sort()).to.deep.equal(readdirSync(join(ROOT, 'schemas')).sort());
  });

  it("gives package.json's version to --version and --about", async () => {
    const version = await run(dir, [...flags, 'cli.js', '--version']);
    expect(version.code, version.stderr).to.equal(0);
    expect(version.stdout.trim()).to.equal(PACKAGE.version);
    const about = await run(dir, [...flags, 'cli.js', '--about']);
    expect(JSON.parse(about.stdout)).to.include({ name: PACKAGE.name, version: PACKAGE.version });
  });

  it('syncs every default stream, each with exactly the simulator ids', async () => {
    const config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const sync = await run(dir, [...flags, 'cli.js', '--config', config]);
    expect(sync.code, sync.stderr.slice(-3000)).to.equal(0);
    const messages = sync.stdout
      .split('\n')
      .filter((l) => l.startsWith('{'))
      .map((l) => JSON.parse(l) as SingerMessage);
    const ids = idsByStream(messages);
    const truth = sim.truth();
    const defaults = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);
    expect(Object.keys(ids).sort()).to.deep.equal([...defaults].sort());
    for (const stream of defaults) {
      const expected = (truth as unknown as Record<string, { id: number }[]>)[stream]!.map((r) => r.id).sort((a, b) => a - b);
      expect(
        [...ids[stream]!].sort((a, b) => a - b),
        stream,
      ).to.deep.equal(expected);
    }
  });
});
