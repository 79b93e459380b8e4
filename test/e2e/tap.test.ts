/**
 * End-to-end: the built tap as a child process, over real HTTP, against the bundled simulator.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import { ROOT } from '../../src/paths.js';
import { STREAMS } from '../../src/streams.js';
import { startSimulator, type Simulator, type SimulatorStats } from '../../src/simulator/server.js';
import { selectOnly } from '../helpers/catalog.js';
import { idsByStream, runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

/** The 27 list streams: the ones selected when no catalog is given (the lists under a record are opt-in). */
const STREAM_NAMES = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name);

function config(sim: Simulator, extra: Record<string, unknown> = {}): string {
  return tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, ...extra });
}

function truthIds(sim: Simulator): Record<string, number[]> {
  const truth = sim.truth();
  return Object.fromEntries(Object.entries(truth).map(([stream, rows]) => [stream, rows.map((r) => r.id)]));
}

function sorted(ids: number[] | undefined): number[] {
  return [...(ids ?? [])].sort((a, b) => a - b);
}

function criticalLines(run: TapRun): string[] {
  return run.stderrLines.filter((l) => l.startsWith('CRITICAL'));
}

describe('tap-crm end to end against the simulator', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let full: TapRun;
  let fullStats: SimulatorStats;

  before(async () => {
    sim = await startSimulator({ records: 3000, seed: 7, rpm: 0 });
    full = await runTap(['--config', config(sim)]);
    fullStats = sim.stats();
  });
  after(async () => sim.close());

  describe('a full sync of all 27 list streams', () => {
    it('exits 0 without CRITICAL or ERROR lines', () => {
      expect(full.code, full.stderr.slice(-2000)).to.equal(0);
      expect(full.stderrLines.filter((l) => /^(CRITICAL|ERROR)/.test(l))).to.deep.equal([]);
    });

    it('emits exactly the simulator’s ids for every stream, disabled customers included, without duplicates', () => {
      const emitted = idsByStream(full.messages);
      const truth = truthIds(sim);
      expect(Object.keys(truth).sort()).to.deep.equal([...STREAM_NAMES].sort());
      for (const stream of STREAM_NAMES) {
        expect(sorted(emitted[stream]), stream).to.deep.equal(sorted(truth[stream]));
        expect(new Set(emitted[stream]).size, `${stream} duplicates`).to.equal(emitted[stream]!.length);
      }
    });

    it('emits exactly one SCHEMA per stream, before the stream’s first RECORD, with key_properties', () => {
      const schemaAt = new Map<string, number>();
      full.messages.forEach((m, i) => {
        if (m.type !== 'SCHEMA') return;
        expect(schemaAt.has(m.stream!), `second SCHEMA for ${m.stream}`).to.equal(false);
        schemaAt.set(m.stream!, i);
        expect(m.key_properties).to.deep.equal(['id']);
        expect(m.schema).to.have.property('properties');
      });
      expect([...schemaAt.keys()].sort()).to.deep.equal([...STREAM_NAMES].sort());
      full.messages.forEach((m, i) => {
        if (m.type === 'RECORD') expect(i, `RECORD of ${m.stream} before its SCHEMA`).to.be.greaterThan(schemaAt.get(m.stream!)!);
      });
    });

    it('emits records that validate against their SCHEMA (ajv, date-time checked)', () => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      addFormats.default(ajv);
      const validators = new Map(full.messages.filter((m) => m.type === 'SCHEMA').map((m) => [m.stream!, ajv.compile(m.schema!)] as const));
      let checked = 0;
      for (const m of full.messages) {
        if (m.type !== 'RECORD') continue;
        const validate = validators.get(m.stream!)!;
        expect(validate(m.record), `${m.stream} ${JSON.stringify(m.record).slice(0, 300)}: ${ajv.errorsText(validate.errors)}`).to.equal(
          true,
        );
        checked++;
      }
      expect(checked).to.equal(Object.values(truthIds(sim)).reduce((n, ids) => n + ids.length, 0));
    });

    it('stamps every RECORD with an RFC 3339 time_extracted in UTC', () => {
      for (const m of full.messages.filter((x) => x.type === 'RECORD')) {
        expect(m.time_extracted).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      }
    });

    it('ends with a STATE message, and writes STATE after each stream', () => {
      expect(full.messages.at(-1)!.type).to.equal('STATE');
      expect(full.messages.filter((m) => m.type === 'STATE').length).to.equal(STREAM_NAMES.length + 1);
    });

    it('reports record_count and http_request_duration METRIC lines on stderr', () => {
      const metrics = full.stderrLines
        .filter((l) => l.startsWith('INFO METRIC: '))
        .map((l) => JSON.parse(l.slice('INFO METRIC: '.length)) as { metric: string; value: number; tags: Record<string, unknown> });
      const counts = metrics.filter((m) => m.metric === 'record_count');
      const truth = truthIds(sim);
      for (const stream of STREAM_NAMES) {
        expect(counts.find((m) => m.tags.stream === stream)?.value, stream).to.equal(truth[stream]!.length);
      }
      expect(metrics.some((m) => m.metric === 'http_request_duration' && m.tags.endpoint === '/tickets')).to.equal(true);
    });

    it('reads disabled customers (include_disabled=true) and stops the endpoints that ignore page after the repeated page', () => {
      const stats = fullStats;
      expect(stats.endpoints.customers!.values.include_disabled).to.include('true');
      for (const stream of [
        'appointment_types',
        'payment_methods',
        'product_categories',
        'canned_responses',
        'new_ticket_forms',
      ] as const) {
        expect(stats.endpoints[stream]!.requests, stream).to.equal(2);
      }
      // timelogs pages without meta: read until its empty page
      expect(stats.endpoints.timelogs!.requests).to.equal(Math.ceil(truthIds(sim).timelogs!.length / 100) + 1);
    });

    it('emits users with the fields of their detail (GET /users/{id}), one detail request per user', () => {
      const users = full.messages.filter((m) => m.type === 'RECORD' && m.stream === 'users');
      expect(users).to.have.length(truthIds(sim).users!.length);
      for (const m of users) expect(m.record).to.include.keys(['id', 'email', 'full_name', 'group', 'admin', 'created_at', 'updated_at']);
      // the pairs list twice (it ignores page), then each user's detail
      expect(fullStats.endpoints.users!.requests).to.equal(2 + users.length);
    });

    it('emits resolved RMM alerts as well as active ones (status=all)', () => {
      const alerts = full.messages.filter((m) => m.type === 'RECORD' && m.stream === 'rmm_alerts').map((m) => m.record!);
      expect(alerts.some((a) => a.resolved === true) && alerts.some((a) => a.resolved === false)).to.equal(true);
      expect(fullStats.endpoints.rmm_alerts!.values.status).to.deep.equal(['all']);
    });
  });

  it('--discover prints the 27 list streams and the 5 lists under a record without any config, equal to catalog/catalog.json', async () => {
    const run = await runTap(['--discover']);
    expect(run.code).to.equal(0);
    const catalog = JSON.parse(run.stdout) as { streams: { tap_stream_id: string }[] };
    const children = ['ticket_comments', 'ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials'];
    expect(catalog.streams.map((s) => s.tap_stream_id).sort()).to.deep.equal([...STREAM_NAMES, ...children].sort());
    expect(catalog.streams).to.have.length(32);
    expect(run.stdout).to.equal(readFileSync(join(ROOT, 'catalog', 'catalog.json'), 'utf8'));
  });

  it('--about --format json lists the capabilities and the settings, api_key marked secret', async () => {
    const run = await runTap(['--about', '--format', 'json']);
    const info = JSON.parse(run.stdout) as {
      name: string;
      capabilities: string[];
      settings: { properties: Record<string, { secret?: boolean }> };
    };
    expect(info.name).to.equal('tap-crm');
    expect(info.capabilities).to.include.members(['catalog', 'discover', 'state', 'about', 'test']);
    expect(info.settings.properties.api_key!.secret).to.equal(true);
    const markdown = await runTap(['--about', '--format', 'markdown']);
    expect(markdown.stdout).to.include('| `api_key` | string (required, secret) |');
  });

  it('syncs only the streams and fields a catalog selects, and emits the catalog’s schema', async () => {
    const catalog = JSON.parse(readFileSync(join(ROOT, 'catalog', 'catalog.json'), 'utf8')) as {
      streams: {
        stream: string;
        schema: { properties: Record<string, { description?: string }> };
        metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
      }[];
    };
    for (const s of catalog.streams) {
      const root = s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
      root.selected = s.stream === 'leads' || s.stream === 'contracts';
      if (s.stream === 'leads') {
        s.metadata.find((m) => m.breadcrumb[1] === 'email')!.metadata.selected = false;
        s.schema.properties.status!.description = 'from the catalog';
      }
    }
    const run = await runTap(['--config', config(sim), '--catalog', tempJson('catalog.json', catalog)]);
    expect(run.code, run.stderr).to.equal(0);
    const streams = new Set(run.messages.filter((m) => m.type === 'RECORD').map((m) => m.stream));
    expect([...streams].sort()).to.deep.equal(['contracts', 'leads']);
    const leads = run.messages.filter((m) => m.stream === 'leads');
    const schema = leads.find((m) => m.type === 'SCHEMA')!.schema as { properties: Record<string, { description?: string }> };
    expect(schema.properties).not.to.have.property('email');
    expect(schema.properties.status!.description).to.equal('from the catalog');
    for (const m of leads.filter((x) => x.type === 'RECORD')) expect(m.record).not.to.have.property('email');
    expect(sorted(idsByStream(run.messages).leads)).to.deep.equal(sorted(truthIds(sim).leads));
  });

  for (const method of ['header', 'bearer', 'query'] as const) {
    it(`authenticates with auth_method ${method}`, async () => {
      const catalog = selectOnly(['contacts']);
      const run = await runTap(['--config', config(sim, { auth_method: method }), '--catalog', tempJson('c.json', catalog)]);
      expect(run.code, run.stderr).to.equal(0);
      expect(sorted(idsByStream(run.messages).contacts)).to.deep.equal(sorted(truthIds(sim).contacts));
    });
  }

  it('skips the streams a limited token may not read, with a WARNING naming the permission, and syncs the rest', async () => {
    const run = await runTap(['--config', config(sim, { api_key: sim.limitedApiKey })]);
    expect(run.code, run.stderr).to.equal(0);
    const warnings = run.stderrLines.filter((l) => l.startsWith('WARNING'));
    const skipped = ['appointment_types', 'line_items', 'portal_users'];
    for (const stream of skipped) {
      expect(
        warnings.some((w) => w.includes(`stream ${stream} skipped`) && w.includes('Global Admin')),
        stream,
      ).to.equal(true);
    }
    const emitted = idsByStream(run.messages);
    for (const stream of skipped) expect(emitted).not.to.have.property(stream);
    // Users' details are refused to this key: each user as the list gives it, and one WARNING.
    const users = run.messages.filter((m) => m.type === 'RECORD' && m.stream === 'users');
    for (const m of users) expect(Object.keys(m.record!).sort()).to.deep.equal(['full_name', 'id']);
    expect(warnings.filter((w) => w.startsWith('WARNING stream users:'))).to.have.length(1);
    expect(warnings.find((w) => w.startsWith('WARNING stream users:'))).to.match(
      /GET \/users\/\d+: HTTP 401 .*written as the list gives them \(id and full_name\)/,
    );
    const truth = truthIds(sim);
    for (const stream of STREAM_NAMES.filter((s) => !skipped.includes(s))) {
      expect(sorted(emitted[stream]), stream).to.deep.equal(sorted(truth[stream]));
    }
  });

  it('fails fast on a wrong token: exit 1, one CRITICAL line, no record, no key printed', async () => {
    const key = 'wrong-key-that-must-not-leak-42';
    const run = await runTap(['--config', config(sim, { api_key: key })]);
    expect(run.code).to.equal(1);
    const critical = criticalLines(run);
    expect(critical).to.have.length(1);
    expect(critical[0]).to.match(/the API refused the token \(HTTP 401 on GET \/me\): check "api_key" and "auth_method"/);
    expect(run.messages.filter((m) => m.type === 'RECORD')).to.deep.equal([]);
    expect(run.stdout + run.stderr).not.to.include(key);
    expect(run.stderr).not.to.match(/\n\s+at /); // no stack trace
  });

  it('--test emits one record per stream and exits 0', async () => {
    const run = await runTap(['--config', config(sim), '--test']);
    expect(run.code, run.stderr).to.equal(0);
    const counts = Object.fromEntries(Object.entries(idsByStream(run.messages)).map(([s, ids]) => [s, ids.length]));
    expect(counts).to.deep.equal(Object.fromEntries(STREAM_NAMES.map((s) => [s, 1])));
    expect(run.stderrLines.at(-1)).to.equal(
      `INFO connection test passed: GET /me and ${STREAM_NAMES.length} stream(s) read, ${STREAM_NAMES.length} record(s) written (one per stream at most)`,
    );
  });

  it('--test=schema checks the connection, emits one SCHEMA per stream and no record, and reads no list', async () => {
    sim.resetStats();
    const run = await runTap(['--config', config(sim), '--test=schema']);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.messages.map((m) => `${m.type} ${(m as { stream?: string }).stream}`)).to.deep.equal(STREAM_NAMES.map((s) => `SCHEMA ${s}`));
    expect(Object.keys(sim.stats().endpoints).filter((e) => e !== 'me')).to.deep.equal([]);
    expect(run.stderrLines.at(-1)).to.equal(
      `INFO connection test passed: GET /me answered; the SCHEMA of ${STREAM_NAMES.length} stream(s) written, no list read`,
    );
  });

  it('--config ENV warns once about each unknown TAP_CRM_ variable, not about its own, the test suites’ or Meltano’s', async () => {
    const run = await runTap(['--config', 'ENV', '--test=schema'], {
      env: {
        TAP_CRM_API_KEY: sim.apiKey,
        TAP_CRM_BASE_URL: sim.baseUrl,
        TAP_CRM_PAGESIZE: '5',
        TAP_CRM_LOG_LEVEL: 'INFO',
        TAP_CRM_HEARTBEAT_MS: '1000',
        TAP_CRM_RATE_WINDOW_MS: '60000',
        TAP_CRM_IT_PYTHON: 'python3',
        TAP_CRM_MAPS_DIFF_CASES: '5',
        TAP_CRM__SELECT: '[]',
      },
    });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderrLines.filter((l) => l.startsWith('WARNING'))).to.deep.equal([
      'WARNING environment variable TAP_CRM_PAGESIZE is not a tap-crm setting; ignored (check its spelling: tap-crm --about lists the settings)',
    ]);
    // A file config reads no variable: none is warned about.
    const file = await runTap(['--config', config(sim), '--test=schema'], { env: { TAP_CRM_PAGESIZE: '5' } });
    expect(file.stderrLines.filter((l) => l.startsWith('WARNING'))).to.deep.equal([]);
  });

  it('sends page_size as per_page', async () => {
    sim.resetStats();
    const run = await runTap(['--config', config(sim, { page_size: 7 }), '--catalog', tempJson('c.json', selectOnly(['leads']))]);
    expect(run.code, run.stderr).to.equal(0);
    expect(sim.stats().endpoints.leads!.values.per_page).to.deep.equal(['7']);
    expect(sorted(idsByStream(run.messages).leads)).to.deep.equal(sorted(truthIds(sim).leads));
  });

  it('never prints the API key, even at DEBUG and with /me echoing it', async () => {
    const run = await runTap(['--config', config(sim, { log_level: 'DEBUG' }), '--catalog', tempJson('c.json', selectOnly(['contacts']))]);
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderrLines.some((l) => l.startsWith('DEBUG GET /contacts'))).to.equal(true);
    expect(run.stdout + run.stderr).not.to.include(sim.apiKey);
  });

  it('takes its log level from TAP_CRM_LOG_LEVEL when the config sets none', async () => {
    const run = await runTap(['--config', config(sim), '--catalog', tempJson('c.json', selectOnly(['contracts']))], {
      env: { TAP_CRM_LOG_LEVEL: 'DEBUG' },
    });
    expect(run.code, run.stderr).to.equal(0);
    expect(run.stderrLines.some((l) => l.startsWith('DEBUG GET /contracts'))).to.equal(true);
  });

  it('exits cleanly on SIGTERM after the first RECORD (as `meltano config test` does)', async () => {
    let killed = false;
    const run = await runTap(['--config', config(sim)], {
      onLine: (line, child) => {
        if (!killed && line.includes('"type":"RECORD"')) {
          killed = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(killed).to.equal(true);
    expect(run.code).to.not.equal(0);
    expect(run.signal).to.equal(null); // handled, not killed by the signal
    expect(run.stderr).to.include('interrupted by SIGTERM');
    expect(run.stderr).not.to.match(/\n\s+at /);
  });
});

export type { SingerMessage };
