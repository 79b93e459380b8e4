/**
 * End-to-end: what the Airbyte platform gets of the built tap beyond records (docs/airbyte-platform.md): a
 * SPEC of the settings Airbyte mode reads, titled, ordered and grouped for the form, with a documentation
 * URL; ESTIMATE traces before a stream's first record; a RATE_LIMITED status when the API answers 429; a
 * heartbeat STATE during a long walk that emits nothing. Every line is checked against the protocol's schema.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ENDPOINTS } from '../../src/simulator/endpoints.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { ROOT } from '../../src/paths.js';
import { streamByName } from '../../src/streams.js';
import { tempJson } from '../helpers/run-tap.js';
import { airbyte, ofType, statesOf, type AirbyteMessage } from '../helpers/airbyte.js';

/** The settings that `check` and `read` take in Airbyte mode: stream maps, flattening, progress and table versions are Singer's. */
const ACCEPTED = [
  'api_key',
  'base_url',
  'auth_method',
  'start_date',
  'page_size',
  'requests_per_minute',
  'max_concurrency',
  'request_timeout',
  'max_response_mb',
  'user_agent',
  'sweep_interval_days',
  'deletions',
  'deletions_max_percent',
  'custom_fields',
  'log_level',
];

interface Trace {
  type: string;
  estimate?: { name: string; type: string; row_estimate: number };
  stream_status?: { stream_descriptor: { name: string }; status: string; reasons?: { type: string; rate_limited?: object }[] };
}

const traceOf = (m: AirbyteMessage) => (m.type === 'TRACE' ? (m.trace as Trace) : undefined);
const recordStream = (m: AirbyteMessage) => (m.type === 'RECORD' ? (m.record as { stream: string }).stream : undefined);

/** A configured catalog of `streams`, each asked incremental where it can be (as PyAirbyte asks), from our CATALOG. */
async function configuredCatalog(config: string, streams: readonly string[]): Promise<string> {
  const { messages } = await airbyte(['discover', '--config', config]);
  const catalog = ofType(messages, 'CATALOG')[0]!.catalog as { streams: Record<string, unknown>[] };
  const configured = catalog.streams
    .filter((s) => streams.includes(s.name as string))
    .map((stream) => ({
      stream,
      sync_mode: (stream.supported_sync_modes as string[]).includes('incremental') ? 'incremental' : 'full_refresh',
      destination_sync_mode: 'append_dedup',
      ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
      primary_key: stream.source_defined_primary_key,
    }));
  return tempJson('configured_catalog.json', { streams: configured });
}

const simConfig = (sim: Simulator, extra: Record<string, unknown> = {}) =>
  tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, ...extra });

describe('tap-crm on the Airbyte platform (end to end)', function () {
  this.timeout(120_000);

  it('SPEC: exactly the settings Airbyte mode accepts, each titled, ordered and in a declared group, and a documentationUrl', async () => {
    const { run, messages } = await airbyte(['spec']);
    expect(run.code).to.equal(0);
    const spec = ofType(messages, 'SPEC')[0]!.spec as {
      documentationUrl: string;
      connectionSpecification: { groups: { id: string; title: string }[]; properties: Record<string, Record<string, unknown>> };
    };
    const { properties, groups } = spec.connectionSpecification;
    expect(Object.keys(properties)).to.deep.equal(ACCEPTED);
    const groupIds = groups.map((g) => g.id);
    for (const [name, property] of Object.entries(properties)) {
      expect(property.title, name)
        .to.be.a('string')
        .and.match(/^[A-Z]/);
      expect(property.title, name).not.to.equal(name);
      expect(property.order, name).to.be.a('number');
      expect(groupIds, name).to.include(property.group);
      expect(property, name).not.to.have.any.keys('singerOnly', 'secret');
    }
    expect(new Set(Object.values(properties).map((p) => p.order)).size, 'orders are distinct').to.equal(ACCEPTED.length);
    expect(Object.values(properties).map((p) => p.order)).to.deep.equal([...ACCEPTED.keys()]);
    expect(groups.every((g) => g.title.length > 0)).to.equal(true);
    // One address: package.json's repository, the same page as metadata.yaml's.
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { repository: { url: string } };
    const repository = pkg.repository.url.replace(/^git\+/, '').replace(/\.git$/, '');
    expect(spec.documentationUrl).to.equal(`${repository}/blob/main/docs/airbyte-platform.md`);
    const metadata = /documentationUrl: (\S+)/.exec(readFileSync(join(ROOT, 'metadata.yaml'), 'utf8'))![1];
    expect(spec.documentationUrl).to.equal(metadata);
  });

  describe('against the simulator', () => {
    let sim: Simulator;
    before(async () => {
      sim = await startSimulator({ records: 3000, seed: 23, rpm: 0 });
    });
    after(async () => sim.close());

    it('check takes every setting the SPEC offers, set to a value of its own; a setting left out (stream_maps) fails it', async () => {
      const every = {
        auth_method: 'header',
        start_date: '2020-01-31',
        page_size: 50,
        max_concurrency: 4,
        request_timeout: 30,
        max_response_mb: 8,
        user_agent: 'platform-test/1',
        sweep_interval_days: 3,
        deletions: false,
        deletions_max_percent: 20,
        custom_fields: 'columns',
        log_level: 'WARNING',
      };
      expect(Object.keys(every).concat('api_key', 'base_url', 'requests_per_minute').sort()).to.deep.equal([...ACCEPTED].sort());
      const good = await airbyte(['check', '--config', simConfig(sim, every)]);
      expect(ofType(good.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus)).to.deep.equal([{ status: 'SUCCEEDED' }]);
      const maps = await airbyte(['check', '--config', simConfig(sim, { stream_maps: { tickets: { subject: null } } })]);
      expect(ofType(maps.messages, 'CONNECTION_STATUS')[0]!.connectionStatus).to.deep.include({ status: 'FAILED' });
    });

    it('ESTIMATE before the first RECORD of each stream whose first page gives a total: total_entries, or total_pages × the page size', async () => {
      const config = simConfig(sim);
      const roots: string[] = ENDPOINTS.map((e) => e.name).filter((name) => streamByName(name)!.selectedByDefault);
      const { run, messages } = await airbyte(['read', '--config', config, '--catalog', await configuredCatalog(config, roots)]);
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      const truth = sim.truth();
      const estimates = new Map<string, { at: number; rows: number }>();
      const firstRecord = new Map<string, number>();
      messages.forEach((m, i) => {
        const estimate = traceOf(m)?.estimate;
        if (estimate) {
          expect(estimate.type).to.equal('STREAM');
          expect(estimates.has(estimate.name), `one ESTIMATE for ${estimate.name}`).to.equal(false);
          estimates.set(estimate.name, { at: i, rows: estimate.row_estimate });
        }
        const stream = recordStream(m);
        if (stream !== undefined && !firstRecord.has(stream)) firstRecord.set(stream, i);
      });
      let counted = 0;
      for (const { name, meta } of ENDPOINTS.filter((e) => roots.includes(e.name))) {
        const count = truth[name].length;
        const estimate = estimates.get(name);
        if (meta === 'none' || count === 0) {
          expect(estimate, `${name}: its pages give no total`).to.equal(undefined);
          continue;
        }
        expect(estimate, name).not.to.equal(undefined);
        expect(estimate!.at, `${name}: the ESTIMATE comes before its first RECORD`).to.be.below(firstRecord.get(name)!);
        if (meta === 'full') {
          expect(estimate!.rows, name).to.equal(count);
          counted++;
        } else {
          // total_pages only: whole pages, the last one counted full.
          expect(estimate!.rows, name)
            .to.be.at.least(count)
            .and.below(count + 100);
          if (count <= 25) expect(estimate!.rows, `${name}: one page, its own count`).to.equal(count);
        }
      }
      expect(counted, 'streams estimated from total_entries').to.be.at.least(5);
      expect(
        [...estimates.keys()].every((name) => roots.includes(name)),
        'no ESTIMATE for a list under a record',
      ).to.equal(true);
    });

    it('an incremental read estimates the streams the API filters (what it will emit), not those filtered here', async () => {
      const config = simConfig(sim);
      const catalog = await configuredCatalog(config, ['tickets', 'contacts']);
      const first = await airbyte(['read', '--config', config, '--catalog', catalog]);
      expect(first.run.code).to.equal(0);
      const change = sim.mutate({ stream: 'tickets', update: 3 });
      sim.mutate({ stream: 'contacts', update: 2 });
      const second = await airbyte([
        'read',
        '--config',
        config,
        '--catalog',
        catalog,
        '--state',
        tempJson('s.json', statesOf(first.messages)),
      ]);
      expect(second.run.code, second.run.stderr.slice(-2000)).to.equal(0);
      const estimates = second.messages.flatMap((m) => (traceOf(m)?.estimate ? [traceOf(m)!.estimate!] : []));
      const tickets = second.messages.filter((m) => recordStream(m) === 'tickets').length;
      // What the API lists since the bookmark: the changed tickets (and any at the bookmark itself).
      expect(tickets).to.be.at.least(change.updated.length);
      expect(estimates.map((e) => [e.name, e.row_estimate])).to.deep.equal([['tickets', tickets]]);
    });
  });

  it('STREAM_STATUS RUNNING with a RATE_LIMITED reason when the API answers 429: once a throttled episode, not once a request', async () => {
    // Both windows shortened to a second (the tap's by TAP_CRM_RATE_WINDOW_MS): a 429 then costs a second, not a minute.
    const sim = await startSimulator({ records: 300, counts: { contacts: 400, leads: 400 }, seed: 29, rpm: 15, windowMs: 1000 });
    try {
      const config = simConfig(sim, { page_size: 25, max_concurrency: 8 });
      const catalog = await configuredCatalog(config, ['contacts', 'leads']);
      sim.resetStats();
      const { run, messages } = await airbyte(['read', '--config', config, '--catalog', catalog], {
        env: { TAP_CRM_RATE_WINDOW_MS: '1000' },
      });
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      const stats = sim.stats().endpoints;
      const statuses = messages.flatMap((m, i) => {
        const status = traceOf(m)?.stream_status;
        return status ? [{ i, stream: status.stream_descriptor.name, status: status.status, reasons: status.reasons }] : [];
      });
      let limited = 0;
      for (const stream of ['contacts', 'leads']) {
        const refused = stats[stream as 'contacts']?.byStatus['429'] ?? 0;
        const own = statuses.filter((s) => s.stream === stream);
        const rateLimited = own.filter((s) => s.status === 'RUNNING');
        for (const s of rateLimited) expect(s.reasons).to.deep.equal([{ type: 'RATE_LIMITED', rate_limited: {} }]);
        if (refused > 0) expect(rateLimited.length, `${stream}: ${refused} answers 429`).to.be.within(1, refused);
        else expect(rateLimited, stream).to.deep.equal([]);
        // Between its STARTED and its COMPLETE.
        const started = own.find((s) => s.status === 'STARTED')!.i;
        const complete = own.find((s) => s.status === 'COMPLETE')!.i;
        for (const s of rateLimited) expect(s.i).to.be.within(started, complete);
        limited += rateLimited.length;
      }
      const refusedAll = (stats.contacts?.byStatus['429'] ?? 0) + (stats.leads?.byStatus['429'] ?? 0);
      expect(limited, 'RATE_LIMITED statuses').to.be.at.least(1);
      expect(limited, `fewer than the ${refusedAll} answers 429`).to.be.below(refusedAll);
    } finally {
      await sim.close();
    }
  });

  it('a heartbeat STATE during a walk that emits nothing: named after the stream, its state as the read found it', async () => {
    const sim = await startSimulator({ records: 300, counts: { contacts: 600 }, seed: 37, rpm: 0, latencyMs: 40 });
    try {
      const config = simConfig(sim, { page_size: 25, max_concurrency: 1 });
      const catalog = await configuredCatalog(config, ['contacts']);
      // contacts is filtered here (the API cannot): from a bookmark ahead of every record, a walk of every page that emits nothing.
      const stream_state = { replication_key: 'updated_at', replication_key_value: '2099-01-01T00:00:00.000Z' };
      const found = { type: 'STREAM', stream: { stream_descriptor: { name: 'contacts' }, stream_state } };
      const state = tempJson('state.json', [found]);
      const quiet = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', state]);
      const beating = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', state], {
        env: { TAP_CRM_HEARTBEAT_MS: '100' },
      });
      for (const { run, messages } of [quiet, beating]) {
        expect(run.code, run.stderr.slice(-2000)).to.equal(0);
        expect(ofType(messages, 'RECORD')).to.deep.equal([]);
      }
      // Without the heartbeat due: the STATE after the stream, and the last one.
      expect(statesOf(quiet.messages)).to.have.length(2);
      const states = statesOf(beating.messages);
      expect(states.length, 'heartbeats').to.be.at.least(4);
      for (const s of states.slice(0, -2)) expect(s).to.deep.equal(found);
      // Each before the stream's COMPLETE: during the walk.
      const complete = beating.messages.findIndex((m) => traceOf(m)?.stream_status?.status === 'COMPLETE');
      expect(beating.messages.findIndex((m) => m.type === 'STATE')).to.be.below(complete);
    } finally {
      await sim.close();
    }
  });
});
