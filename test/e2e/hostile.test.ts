/**
 * End-to-end: hostile input, each as a user would pass it to the built tap. Files and settings over their
 * bounds end the run before any request with one CRITICAL line and exit 2, never a V8 abort; a FIFO as
 * --config is read once its writer comes, and SIGTERM ends a run still waiting for one.
 */
import { expect } from 'chai';
import { spawn, execFileSync } from 'node:child_process';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, writeFileSync, openSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { ROOT } from '../../src/paths.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { discoveredCatalog, selectOnly } from '../helpers/catalog.js';
import { runTap, tempJson, TAP_BIN, type TapRun } from '../helpers/run-tap.js';

/** One CRITICAL line, exit 2, no stack trace, no request. */
function expectUsageError(run: TapRun, message: RegExp, sim?: Simulator): void {
  expect(run.code, run.stderr.slice(-2000)).to.equal(2);
  const critical = run.stderrLines.filter((l) => l.startsWith('CRITICAL'));
  expect(critical, run.stderr.slice(-2000)).to.have.length(1);
  expect(critical[0]).to.match(message);
  expect(run.stderr).not.to.match(/\n\s+at /);
  if (sim) expect(sim.stats().total, 'no request').to.equal(0);
}

/** A tiny API on loopback answering `routes` (path and query → body); every other path a 404. */
async function fakeApi(routes: Record<string, string>): Promise<{ baseUrl: string; asked: string[]; close: () => Promise<void> }> {
  const asked: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://api');
    asked.push(url.pathname);
    const key = url.pathname.replace('/api/v1', '') + (url.searchParams.has('page') ? `?page=${url.searchParams.get('page')}` : '');
    const body = routes[key] ?? routes[url.pathname.replace('/api/v1', '')];
    res.writeHead(body === undefined ? 404 : 200, { 'content-type': 'application/json' });
    res.end(body ?? '{"message":"Not found"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const close = () =>
    new Promise<void>((resolve) => {
      server.close(() => {
        resolve();
      });
    });
  return { baseUrl: `http://127.0.0.1:${port}/api/v1`, asked, close };
}

describe('hostile input: answers of the API (end to end)', function () {
  this.timeout(60_000);

  it('keeps the API’s own _drifted under its name inside the tap’s, whatever its type, beside what the tap moves there', async () => {
    const api = await fakeApi({
      '/me': '{"user_id": 1}',
      '/leads?page=1':
        '{"leads":[{"id":1,"_drifted":"text"},{"id":2,"_drifted":[1,2]},{"id":3,"_drifted":7,"mobile":{"no":1}},{"id":4,"_drifted":{"a":1}}],"meta":{"total_pages":1}}',
    });
    try {
      const config = tempJson('config.json', { api_key: 'k-123456789', base_url: api.baseUrl });
      for (const airbyte of [false, true]) {
        const catalog = airbyte
          ? tempJson('c.json', {
              streams: [
                {
                  stream: { name: 'leads', json_schema: discoveredCatalog().streams.find((s) => s.stream === 'leads')!.schema },
                  sync_mode: 'full_refresh',
                  destination_sync_mode: 'overwrite',
                },
              ],
            })
          : tempJson('c.json', selectOnly(['leads']));
        const run = await runTap(airbyte ? ['read', '--config', config, '--catalog', catalog] : ['--config', config, '--catalog', catalog]);
        expect(run.code, run.stderr).to.equal(0);
        const records = run.stdout
          .split('\n')
          .filter((l) => l.includes('"RECORD"'))
          .map((l) => JSON.parse(l) as { record: Record<string, unknown> & { data?: Record<string, unknown> } })
          .map((m) => (airbyte ? m.record.data! : m.record));
        expect(records.map((r) => r._drifted)).to.deep.equal([
          { _drifted: 'text' },
          { _drifted: [1, 2] },
          { _drifted: 7, mobile: { no: 1 } },
          { _drifted: { a: 1 } },
        ]);
        expect(run.stdout + run.stderr).to.include('came with a member named _drifted');
      }
    } finally {
      await api.close();
    }
  });

  it('ends a walk at a page whose every record came before, whatever meta.total_pages says (1e9)', async () => {
    const api = await fakeApi({
      '/me': '{"user_id": 1}',
      '/leads': '{"leads":[{"id":1},{"id":2}],"meta":{"total_pages":1000000000,"total_entries":2000000000}}',
    });
    try {
      const config = tempJson('config.json', { api_key: 'k-123456789', base_url: api.baseUrl, requests_per_minute: 100_000 });
      const run = await runTap(['--config', config, '--catalog', tempJson('c.json', selectOnly(['leads']))]);
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      expect(run.messages.filter((m) => m.type === 'RECORD')).to.have.length(2);
      expect(run.stderr).to.match(/GET \/leads page 2: every record of the page came on an earlier page of this walk; the walk ends there/);
      // Page 1, page 2, and the pages fetched ahead meanwhile, on each walk (the second after the shortfall).
      expect(api.asked.filter((path) => path === '/api/v1/leads').length).to.be.below(80);
    } finally {
      await api.close();
    }
  });

  it('reads a body that starts with a UTF-8 byte order mark', async () => {
    const bom = '\ufeff';
    const api = await fakeApi({
      '/me': `${bom}{"user_id": 1}`,
      '/leads?page=1': `${bom}{"leads":[{"id":1,"name":"Zoë"}],"meta":{"total_pages":1}}`,
    });
    try {
      const config = tempJson('config.json', { api_key: 'k-123456789', base_url: api.baseUrl });
      const run = await runTap(['--config', config, '--catalog', tempJson('c.json', selectOnly(['leads']))]);
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      expect(run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record)).to.deep.equal([{ id: 1, name: 'Zoë' }]);
      expect(run.stderr).not.to.include('retry');
    } finally {
      await api.close();
    }
  });

  it('a value nested 100,000 deep stops its own property, not the stream: kept in _drifted as its JSON text, the record named', async () => {
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    const api = await fakeApi({
      '/me': '{"user_id": 1}',
      '/leads?page=1': `{"leads":[{"id":7,"mobile":${deep},"name":"a"},{"id":8}],"meta":{"total_pages":1}}`,
    });
    try {
      const config = tempJson('config.json', { api_key: 'k-123456789', base_url: api.baseUrl });
      const run = await runTap(['--config', config, '--catalog', tempJson('c.json', selectOnly(['leads']))]);
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      const [first, second] = run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record!);
      expect(first).to.deep.include({ id: 7, mobile: null, name: 'a' });
      expect((first!._drifted as Record<string, string>).mobile).to.equal(deep);
      expect(second).to.deep.equal({ id: 8 });
      expect(run.stderr).to.match(/property mobile is declared string or null but record id 7 has a value nested more than 256 deep/);
    } finally {
      await api.close();
    }
  });

  it('with a stream map, a record nested too deep to map stops its stream with the record named (as the SDK’s json.loads would)', async () => {
    const deep = '{"a":'.repeat(50_000) + '1' + '}'.repeat(50_000);
    const api = await fakeApi({
      '/me': '{"user_id": 1}',
      '/leads?page=1': `{"leads":[{"id":7,"properties":${deep}}],"meta":{"total_pages":1}}`,
    });
    try {
      const config = tempJson('config.json', {
        api_key: 'k-123456789',
        base_url: api.baseUrl,
        stream_maps: { leads: { tenant: "'acme'" } },
      });
      const run = await runTap(['--config', config, '--catalog', tempJson('c.json', selectOnly(['leads']))]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/ERROR stream map "leads": record id 7 holds a value nested too deep to map/);
      expect(run.stderr).not.to.include('a page could not be processed');
    } finally {
      await api.close();
    }
  });

  it('keeps ids past 2^53 exact: both records written, the children asked and tied by the exact id', async () => {
    const big = ['9007199254740992', '9007199254740993'];
    const api = await fakeApi({
      '/me': '{"user_id": 1}',
      '/customers?page=1': `{"customers":[{"id":${big[0]},"updated_at":"2026-01-01T00:00:00Z"},{"id":${big[1]},"updated_at":"2026-01-02T00:00:00Z","firstname":"é"}],"meta":{"total_pages":1}}`,
      [`/customers/${big[0]}/phones`]: '{"phones":[{"id":1,"number":"555"}]}',
      [`/customers/${big[1]}/phones`]: '{"phones":[{"id":2,"number":"556"}]}',
    });
    try {
      const config = tempJson('config.json', { api_key: 'k-123456789', base_url: api.baseUrl });
      const run = await runTap(['--config', config, '--catalog', tempJson('c.json', selectOnly(['customers', 'customer_phones']))]);
      expect(run.code, run.stderr).to.equal(0);
      const lines = run.stdout.split('\n');
      // The ids as the API wrote them (JSON.parse would read both as 9007199254740992).
      for (const id of big)
        expect(
          lines.filter((l) => l.includes('"stream":"customers"') && l.includes(`"id":${id},`)),
          id,
        ).to.have.length(1);
      expect(api.asked).to.include.members(big.map((id) => `/api/v1/customers/${id}/phones`));
      expect(lines.find((l) => l.includes('"number":"556"'))).to.include(`"customer_id":${big[1]}`);
      expect(run.stderr).not.to.include('duplicate');
    } finally {
      await api.close();
    }
  });
});

describe('hostile input: files and settings (end to end)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let config: string;
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-hostile-'));

  before(async () => {
    sim = await startSimulator({ records: 300, seed: 61, rpm: 0 });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
  });
  beforeEach(() => {
    sim.resetStats();
  });
  after(async () => sim?.close());

  it('a state file of 50 MB: refused by its size, exit 2, before any request', async () => {
    const state = join(dir, 'state.json');
    writeFileSync(state, JSON.stringify({ bookmarks: { tickets: { note: 'x'.repeat(50 * 1024 * 1024) } } }));
    expectUsageError(await runTap(['--config', config, '--state', state]), /state file .*state\.json is larger than 16 MiB/, sim);
  });

  it('a state of many small objects (800,000: 10 MB, more than the heap holds parsed): refused before parsing', async () => {
    const state = join(dir, 'objects.json');
    const parts = Array.from({ length: 800_000 }, (_, i) => `"s${i}":{}`);
    writeFileSync(state, `{"bookmarks":{${parts.join(',')}}}`);
    expectUsageError(
      await runTap(['--config', config, '--state', state]),
      /state file .*objects\.json holds more than 100000 objects and arrays/,
      sim,
    );
  });

  it('a catalog of 69 MB, and one whose schema nests 10,000 deep: refused, exit 2', async () => {
    const big = join(dir, 'big-catalog.json');
    const catalog = discoveredCatalog();
    writeFileSync(big, JSON.stringify({ ...catalog, padding: 'x'.repeat(69 * 1024 * 1024) }));
    expectUsageError(await runTap(['--config', config, '--catalog', big]), /catalog file .*big-catalog\.json is larger than 16 MiB/, sim);
    const deep = join(dir, 'deep-catalog.json');
    const nested = '{"type":"object","properties":{"a":'.repeat(10_000) + '{}' + '}}'.repeat(10_000);
    writeFileSync(deep, JSON.stringify(catalog).replace('"schema":{', `"schema":{"x-deep":${nested},`));
    expectUsageError(
      await runTap(['--config', config, '--catalog', deep]),
      /catalog file .*deep-catalog\.json nests objects and arrays more than 64 deep/,
      sim,
    );
  });

  it('a catalog listing a stream twice: refused (it would be read twice), in both protocols', async () => {
    const catalog = discoveredCatalog();
    const leads = catalog.streams.find((s) => s.stream === 'leads')!;
    const twice = tempJson('catalog.json', { streams: [leads, leads] });
    expectUsageError(await runTap(['--config', config, '--catalog', twice]), /streams\[1\] lists stream "leads" again/, sim);
    const stream = { name: 'leads', json_schema: { properties: { id: { type: 'integer' } } }, supported_sync_modes: ['full_refresh'] };
    const configured = { stream, sync_mode: 'full_refresh', destination_sync_mode: 'overwrite' };
    const airbyte = await runTap(['read', '--config', config, '--catalog', tempJson('c.json', { streams: [configured, configured] })]);
    expect(airbyte.code).to.equal(2);
    expect(airbyte.stdout).to.match(/configures stream \\"leads\\" again/);
  });

  it('request_timeout past an hour (Node’s timers overflow past 24.8 days): refused, exit 2', async () => {
    const slow = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, request_timeout: 3_000_000 });
    expectUsageError(await runTap(['--config', slow]), /setting "request_timeout" must be <= 3600/, sim);
  });

  it('a stream_map_config value (a hash seed) is never printed, even where an expression’s error quotes it', async () => {
    const seed = 'pepper-s3cr3t';
    const mapped = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      stream_maps: { customers: { email: "int(config['hash_seed'])" } },
      stream_map_config: { hash_seed: seed },
    });
    const run = await runTap(['--config', mapped, '--catalog', tempJson('c.json', selectOnly(['customers']))]);
    expect(run.code).to.equal(1);
    // The value is named by where it comes from, never written out.
    expect(run.stderr).to.include("ValueError: invalid literal for int() with base 10: 'config['hash_seed']'");
    expect(run.stdout + run.stderr).not.to.include(seed);
  });

  it('SIGTERM while the target holds the pipe but reads no more: a bounded wait for the final STATE, then a CRITICAL line and exit', async () => {
    const big = await startSimulator({ records: 20_000, seed: 62, rpm: 0 });
    try {
      const cfg = tempJson('config.json', { api_key: big.apiKey, base_url: big.baseUrl, requests_per_minute: 100_000 });
      // stdout is a pipe nobody reads: once its buffer is full, the tap waits for the target.
      const child = spawn(process.execPath, [TAP_BIN, '--config', cfg], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
      await new Promise((resolve) => setTimeout(resolve, 2_000));
      child.kill('SIGTERM');
      const ended = await new Promise<string>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL');
          resolve('still running 30 s after SIGTERM');
        }, 30_000);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          resolve(String(code ?? signal));
        });
      });
      expect(ended).to.equal('143');
      expect(stderr).to.match(/CRITICAL the target took no more output for 5 s after SIGTERM: stopping without the final STATE/);
    } finally {
      await big.close();
    }
  });

  it('/dev/zero as --config: refused at 1 MiB, not read without end', async () => {
    expectUsageError(await runTap(['--config', '/dev/zero']), /config file \/dev\/zero is larger than 1 MiB/, sim);
  });

  it('a FIFO as --config is read once its writer comes (--config <(...)); SIGTERM ends a run still waiting for one', async () => {
    const fifo = join(dir, 'config.fifo');
    execFileSync('mkfifo', [fifo]);
    // No writer yet: the tap waits; SIGTERM ends it (143) instead of waiting for ever.
    const waiting = spawn(process.execPath, [TAP_BIN, '--config', fifo, '--test=schema'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const ended = await new Promise<string>((resolve) => {
      setTimeout(() => waiting.kill('SIGTERM'), 500);
      const timer = setTimeout(() => {
        waiting.kill('SIGKILL');
        resolve('still waiting after 10 s');
      }, 10_000);
      waiting.on('close', (c, signal) => {
        clearTimeout(timer);
        resolve(String(c ?? signal));
      });
    });
    // Ended by the signal itself (a shell reports 143), or with exit code 143.
    expect(ended, 'SIGTERM while waiting for the FIFO').to.be.oneOf(['SIGTERM', '143']);
    // With a writer: read as a file.
    const reading = runTap(['--config', fifo, '--test=schema']);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const fd = openSync(fifo, 'w');
    writeSync(fd, JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl }));
    closeSync(fd);
    const run = await reading;
    expect(run.code, run.stderr).to.equal(0);
    expect(run.messages.filter((m) => m.type === 'SCHEMA').length).to.be.greaterThan(10);
  });
});

describe('hostile input: a page worker that stops (in this process, the built page workers)', function () {
  this.timeout(120_000);

  it('fails only the streams whose pages it held, each named with the reason; the others complete and the state is written', async () => {
    // The built modules: page workers run from dist/ only (from the TypeScript sources pages are processed in this thread).
    const load = async <T>(module: string) => (await import(join(ROOT, 'dist', 'src', module))) as T;
    const { PagePool } = await load<typeof import('../../src/sync/page-pool.js')>('sync/page-pool.js');
    const { runSync } = await load<typeof import('../../src/sync/sync.js')>('sync/sync.js');
    const { selectStreams } = await load<typeof import('../../src/protocol/catalog.js')>('protocol/catalog.js');
    const { resolveSettings } = await load<typeof import('../../src/command/settings.js')>('command/settings.js');
    const { stateKeeper } = await load<typeof import('../../src/protocol/state.js')>('protocol/state.js');
    const { MessageWriter } = await load<typeof import('../../src/protocol/writer.js')>('protocol/writer.js');
    const { HttpClient } = await load<typeof import('../../src/api/http.js')>('api/http.js');
    const { Logger } = await load<typeof import('../../src/output/log.js')>('output/log.js');
    const sim = await startSimulator({ records: 20_000, seed: 63, rpm: 0 });
    const settings = resolveSettings({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 10_000_000 });
    const log = new Logger();
    const lines: string[] = [];
    log.setSink((line) => lines.push(line));
    const client = new HttpClient({
      log,
      baseUrl: settings.base_url,
      apiKey: settings.api_key,
      authMethod: 'header',
      userAgent: 'test',
      timeoutMs: 30_000,
      maxConcurrency: 16,
      requestsPerMinute: 10_000_000,
    });
    const pool = new PagePool(2, 16, log);
    let out = '';
    const writer = new MessageWriter(
      new Writable({
        write: (chunk: Buffer, _e, done) => {
          out += chunk.toString();
          done();
        },
      }),
    );
    const state = stateKeeper({ bookmarks: {} });
    // A worker stops part-way, with pages in hand (as one that died would: they fail with it): at the 30th page.
    const inside = pool as unknown as { workers: { terminate(): Promise<number> }[]; load: number[] };
    const process = pool.process.bind(pool);
    let sent = 0;
    pool.process = (job) => {
      const result = process(job);
      if (++sent === 30) void inside.workers[inside.load.findIndex((pages) => pages > 0)]!.terminate();
      return result;
    };
    const error = await runSync({ client, writer, streams: selectStreams(undefined), settings, state, pool, log }).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    client.close();
    await pool.close();
    await sim.close();
    expect(error?.message).to.match(/^\d+ stream\(s\) failed: /);
    const failed = [...(error?.message ?? '').matchAll(/(?:: |; )(\w+) \(a page worker stopped/g)].map((m) => m[1]!);
    expect(failed.length).to.be.greaterThan(0);
    for (const stream of failed)
      expect(
        lines.some((l) => l.startsWith(`ERROR stream ${stream}: a page worker stopped (it exited with code 1)`)),
        stream,
      ).to.equal(true);
    // The streams it did not hold went on, and the run's state came last.
    expect(Object.keys(state.value.bookmarks).length).to.be.greaterThan(10);
    expect(out.trimEnd().split('\n').at(-1)).to.match(/^\{"type":"STATE"/);
  });
});
