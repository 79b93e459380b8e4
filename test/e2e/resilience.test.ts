/**
 * End-to-end resilience: faults, the rate limit, bad input, secret hygiene and a dying target, against the
 * simulator over real HTTP.
 */
import { expect } from 'chai';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { selectStreams } from '../../src/protocol/catalog.js';
import { HttpClient } from '../../src/api/http.js';
import { testLog } from '../helpers/capture-log.js';
import { resolveSettings } from '../../src/command/settings.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { stateKeeper } from '../../src/protocol/state.js';
import { runSync } from '../../src/sync/sync.js';
import { STREAMS } from '../../src/streams.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import { idsByStream, runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

const LIST_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);

function expectEveryRecord(sim: Simulator, messages: SingerMessage[]): void {
  const emitted = idsByStream(messages);
  const truth = sim.truth();
  for (const stream of LIST_STREAMS) {
    const expected = truth[stream as keyof typeof truth].map((r) => r.id).sort((a, b) => a - b);
    expect(
      [...new Set(emitted[stream])].sort((a, b) => a - b),
      stream,
    ).to.deep.equal(expected);
  }
}

function criticals(run: TapRun): string[] {
  return run.stderrLines.filter((l) => l.startsWith('CRITICAL'));
}

/** A sync in this process, so that the rate-limit window can be shortened on both sides. */
async function syncInProcess(sim: Simulator, requestsPerWindow: number, windowMs: number) {
  const settings = resolveSettings({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: requestsPerWindow });
  const { log, lines: logs } = testLog(sim.apiKey);
  const client = new HttpClient({
    log,
    baseUrl: settings.base_url,
    apiKey: settings.api_key,
    authMethod: settings.auth_method,
    userAgent: settings.user_agent,
    timeoutMs: 10_000,
    maxConcurrency: settings.max_concurrency,
    requestsPerMinute: settings.requests_per_minute,
    rateWindowMs: windowMs,
  });
  let out = '';
  const sink = new Writable({
    write: (chunk: Buffer, _e, cb) => {
      out += chunk.toString();
      cb();
    },
  });
  try {
    await runSync({
      client,
      writer: new MessageWriter(sink),
      streams: selectStreams(undefined),
      settings,
      state: stateKeeper({ bookmarks: {} }),
      log,
    });
  } finally {
    client.close();
  }
  const messages = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as SingerMessage);
  return { messages, logs };
}

describe('resilience (end to end)', function () {
  this.timeout(180_000);

  it('finishes with every record at a 25% fault rate over every fault kind', async () => {
    const sim = await startSimulator({ records: 3000, seed: 5, rpm: 0, failRate: 0.25, stallMs: 2500 });
    try {
      const config = tempJson('c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, request_timeout: 1 });
      const run = await runTap(['--config', config]);
      expect(run.code, run.stderr.slice(-3000)).to.equal(0);
      expectEveryRecord(sim, run.messages);
      const faults = Object.values(sim.stats().endpoints).reduce((n, e) => n + Object.values(e.byFault).reduce((a, b) => a + b, 0), 0);
      expect(faults).to.be.greaterThan(10);
      const retries = run.stderrLines.filter((l) => l.startsWith('WARNING') && l.includes('; retry '));
      // A 504 or a stall on a page shrinks the stream's pages instead of a retry (a heavy page): said too.
      const shrinks = run.stderrLines.filter((l) =>
        /^(WARNING|INFO) stream \w+, GET \S+ page \d+: .+ at \d+ records a page; asking \d+ a page/.test(l),
      );
      expect(retries.length + shrinks.length).to.be.at.least(faults - 5); // a stall answered after the client gave up still counts once
      for (const line of retries)
        expect(line).to.match(/^WARNING stream \w+( check)?, GET \/\S+( page \d+)?: .+; retry \d+ of \d+ in \d+\.\d s$/);
      // A stall is said in a retry line, or in a shrink line where it hit a page that could shrink.
      const reasons = [...retries, ...shrinks].join('\n');
      for (const reason of ['HTTP 50', 'connection failed', 'no complete answer within 1 s', 'text/html body instead of JSON']) {
        expect(reasons, reason).to.include(reason);
      }
    } finally {
      await sim.close();
    }
  });

  describe('the rate limit (windows shortened to 3 s on both sides)', () => {
    it('receives no 429 when the server allows what the tap is told', async () => {
      const sim = await startSimulator({ records: 1200, seed: 3, rpm: 25, windowMs: 3000, retryAfter: 'never' });
      try {
        const { messages } = await syncInProcess(sim, 25, 3000);
        expectEveryRecord(sim, messages);
        const stats = sim.stats();
        expect(stats.rateLimited).to.equal(0);
        expect(stats.total).to.be.greaterThan(25); // the limit was reached, and waited for
        expect(stats.peakPerMinute).to.be.at.most(25);
      } finally {
        await sim.close();
      }
    });

    it('finishes with every record and few 429s when the server allows less than the tap is told, without Retry-After', async () => {
      const sim = await startSimulator({ records: 1200, seed: 3, rpm: 15, windowMs: 3000, retryAfter: 'never' });
      try {
        const { messages, logs } = await syncInProcess(sim, 25, 3000);
        expectEveryRecord(sim, messages);
        const stats = sim.stats();
        expect(stats.rateLimited).to.be.greaterThan(0);
        expect(stats.rateLimited, 'the limiter slows down after the first 429s').to.be.below(stats.total / 3);
        expect(logs.some((l) => l.includes('HTTP 429 rate limited, no Retry-After'))).to.equal(true);
      } finally {
        await sim.close();
      }
    });
  });

  describe('bad input: one CRITICAL line, the right exit code, no request made', () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator({ records: 200, seed: 2, rpm: 0 });
    });
    after(async () => sim.close());

    const good = () => ({ api_key: sim.apiKey, base_url: sim.baseUrl });
    const products = () => ({
      streams: [
        {
          tap_stream_id: 'products',
          stream: 'products',
          schema: { properties: { id: { type: 'integer' } } },
          metadata: [{ breadcrumb: [], metadata: { selected: true, 'replication-method': 'INCREMENTAL' } }],
        },
      ],
    });
    const cases: { name: string; args: () => string[]; env?: Record<string, string>; message: RegExp; code?: number }[] = [
      { name: 'no --config', args: () => [], message: /no --config given: pass a settings file/ },
      {
        name: 'an unknown flag',
        args: () => ['--config', tempJson('c.json', good()), '--frobnicate'],
        message: /Unknown argument: frobnicate; see tap-crm --help/,
      },
      {
        name: 'a missing config file',
        args: () => ['--config', '/nonexistent/config.json'],
        message: /config file \/nonexistent\/config.json cannot be read \(ENOENT\)/,
      },
      {
        name: 'a config file that is not JSON',
        args: () => ['--config', tempJson('c.json', '{"api_key": "x",')],
        message: /config file .*c.json is not valid JSON/,
      },
      {
        name: 'a missing api_key',
        args: () => ['--config', tempJson('c.json', { base_url: sim.baseUrl })],
        message: /setting "api_key" is missing/,
      },
      {
        name: 'a misspelled api_key, named where the missing api_key is',
        args: () => ['--config', tempJson('c.json', { base_url: sim.baseUrl, api_kye: 'k' })],
        message: /setting "api_key" is missing \(the config has "api_kye": a misspelling\?\): add "api_key"/,
      },
      {
        name: 'a misspelled api_key variable, named where the missing api_key is',
        args: () => ['--config', 'ENV'],
        env: { TAP_CRM_API_KYE: 'k', TAP_CRM_BASE_URL: 'http://127.0.0.1:1/api/v1' },
        message: /setting "api_key" is missing \(the environment has TAP_CRM_API_KYE: a misspelling\?\)/,
      },
      {
        name: 'a missing base_url',
        args: () => ['--config', tempJson('c.json', { api_key: sim.apiKey })],
        message: /setting "base_url" is missing/,
      },
      {
        name: 'a base_url that is not a URL',
        args: () => ['--config', tempJson('c.json', { ...good(), base_url: 'acme.syncromsp.com/api/v1' })],
        message: /setting "base_url" is not a URL/,
      },
      {
        name: 'plain http to a remote host',
        args: () => ['--config', tempJson('c.json', { ...good(), base_url: 'http://acme.syncromsp.com/api/v1' })],
        message: /uses plain http to acme.syncromsp.com/,
      },
      {
        name: 'an unknown auth_method',
        args: () => ['--config', tempJson('c.json', { ...good(), auth_method: 'basic' })],
        message: /setting "auth_method" must be one of header, bearer, query/,
      },
      {
        name: 'page_size out of range',
        args: () => ['--config', tempJson('c.json', { ...good(), page_size: 1000 })],
        message: /setting "page_size" must be <= 100/,
      },
      {
        name: 'an ill-typed setting',
        args: () => ['--config', tempJson('c.json', { ...good(), max_concurrency: 'lots' })],
        message: /setting "max_concurrency" must be an integer/,
      },
      {
        name: 'a start_date that is neither a date nor an RFC 3339 date-time',
        args: () => ['--config', tempJson('c.json', { ...good(), start_date: '01/02/2024' })],
        message: /setting "start_date" must be a date such as 2024-01-31 or an RFC 3339 date-time/,
      },
      {
        name: 'an ill-typed environment variable',
        args: () => ['--config', 'ENV'],
        env: { TAP_CRM_API_KEY: 'k', TAP_CRM_BASE_URL: 'http://127.0.0.1:1/api/v1', TAP_CRM_PAGE_SIZE: 'ten' },
        message: /environment variable TAP_CRM_PAGE_SIZE must be an integer/,
      },
      {
        name: 'a catalog that is not JSON',
        args: () => ['--config', tempJson('c.json', good()), '--catalog', tempJson('cat.json', '{')],
        message: /catalog file .*cat.json is not valid JSON/,
      },
      {
        name: 'a catalog naming an unknown stream',
        args: () => [
          '--config',
          tempJson('c.json', good()),
          '--catalog',
          tempJson('cat.json', { streams: [{ tap_stream_id: 'widgets', schema: { properties: {} } }] }),
        ],
        message: /names unknown stream "widgets"/,
      },
      {
        name: 'a catalog of the wrong shape (legacy --properties)',
        args: () => ['--config', tempJson('c.json', good()), '--properties', tempJson('cat.json', [])],
        message: /expected an object with a "streams" array/,
      },
      {
        name: 'an impossible replication choice',
        args: () => ['--config', tempJson('c.json', good()), '--catalog', tempJson('cat.json', products())],
        message: /stream "products" has no replication key/,
      },
      {
        name: 'a state file that is not JSON',
        args: () => ['--config', tempJson('c.json', good()), '--state', tempJson('s.json', 'bookmarks')],
        message: /state file .*s.json is not valid JSON/,
      },
      {
        name: 'a state of the wrong shape',
        args: () => ['--config', tempJson('c.json', good()), '--state', tempJson('s.json', { bookmarks: [] })],
        message: /state file .*: "bookmarks" is not an object/,
      },
      {
        name: 'a bookmark that is not a date-time',
        args: () => [
          '--config',
          tempJson('c.json', good()),
          '--state',
          tempJson('s.json', { bookmarks: { tickets: { replication_key_value: 'yesterday' } } }),
        ],
        message: /the replication_key_value of "tickets" is not an RFC 3339 date-time/,
      },
    ];

    for (const c of cases) {
      it(`${c.name} → exit ${c.code ?? 2}`, async () => {
        sim.resetStats();
        const run = await runTap(c.args(), { env: c.env });
        expect(run.code, run.stderr).to.equal(c.code ?? 2);
        expect(criticals(run), run.stderr).to.have.length(1);
        expect(criticals(run)[0]).to.match(c.message);
        expect(run.stderr).not.to.match(/\n\s+at /);
        expect(run.stdout).to.equal('');
        expect(run.stdout + run.stderr).not.to.include(sim.apiKey);
        expect(sim.stats().total, 'requests made').to.equal(0);
      });
    }

    it('an unreachable API → exit 1 after a short retry, naming base_url', async () => {
      const port = await freePort();
      const run = await runTap(['--config', tempJson('c.json', { api_key: 'k-unreachable', base_url: `http://127.0.0.1:${port}/api/v1` })]);
      expect(run.code).to.equal(1);
      expect(criticals(run)).to.have.length(1);
      expect(criticals(run)[0]).to.match(
        /cannot reach the API at "base_url" .*connection failed \(ECONNREFUSED\).*check the URL and the network/,
      );
    });
  });

  for (const method of ['header', 'bearer', 'query'] as const) {
    it(`never prints the key at DEBUG, with error bodies echoing the request (auth_method ${method})`, async () => {
      const sim = await startSimulator({
        records: 400,
        seed: 9,
        rpm: 0,
        failRate: 0.4,
        faults: ['500', '502', '503', '504'],
        echoRequest: true,
      });
      try {
        const config = tempJson('c.json', {
          api_key: sim.apiKey,
          base_url: sim.baseUrl,
          auth_method: method,
          log_level: 'DEBUG',
          requests_per_minute: 100_000,
        });
        const run = await runTap(['--config', config]);
        expect(run.code, run.stderr.slice(-2000)).to.equal(0);
        expect(run.stderrLines.filter((l) => l.startsWith('WARNING')).length).to.be.greaterThan(0);
        expect(run.stderrLines.filter((l) => l.startsWith('DEBUG GET')).length).to.be.greaterThan(0);
        expect(run.stdout + run.stderr).not.to.include(sim.apiKey);
        expect(run.stdout + run.stderr).not.to.include(encodeURIComponent(sim.apiKey));
      } finally {
        await sim.close();
      }
    });
  }

  it('stops promptly with a clear error when the target stops reading (EPIPE)', async () => {
    const sim = await startSimulator({ records: 20_000, seed: 4, rpm: 0, latencyMs: 2 });
    try {
      const run = await runTap(
        ['--config', tempJson('c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 })],
        {
          onLine: (_line, child) => child.stdout!.destroy(),
          timeoutMs: 30_000,
        },
      );
      expect(run.code).to.equal(1);
      expect(criticals(run)).to.have.length(1);
      expect(criticals(run)[0]).to.match(/stdout failed \(EPIPE\): the target stopped reading/);
      // Requests the tap sent just before it exited may still be in the server's socket buffers: let them land.
      await new Promise((r) => setTimeout(r, 200));
      const requested = sim.stats().total;
      await new Promise((r) => setTimeout(r, 300));
      expect(sim.stats().total, 'no request after the exit').to.equal(requested);
      expect(requested, 'stopped long before the end of the sync').to.be.below(200);
    } finally {
      await sim.close();
    }
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => {
        resolve(port);
      });
    });
  });
}
