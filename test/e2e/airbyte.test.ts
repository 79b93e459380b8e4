/**
 * End-to-end: the built tap as an Airbyte source (spec, check, discover, read) against the simulator,
 * every stdout line checked against the protocol's JSON Schema.
 */
import { expect } from 'chai';
import { Ajv } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import { startSimulator, STREAM_NAMES, type Simulator } from '../../src/simulator/server.js';
import { streamByName } from '../../src/streams.js';
import { tempJson } from '../helpers/run-tap.js';
import { airbyte, ofType as of, recordsOf as records, type AirbyteMessage as Message } from '../helpers/airbyte.js';

const idsOf = (messages: Message[], stream: string) =>
  [
    ...new Set(
      records(messages)
        .filter((r) => r.stream === stream)
        .map((r) => r.data.id as number),
    ),
  ].sort((a, b) => a - b);
const traces = (messages: Message[], type: string) =>
  of(messages, 'TRACE')
    .map((m) => m.trace as Record<string, unknown>)
    .filter((t) => t.type === type);

/** The configured catalog PyAirbyte writes from our CATALOG: every stream, sync_mode incremental, cursor and key as declared. */
function configuredCatalog(catalog: Message, only?: string[]): string {
  const streams = (catalog.catalog as { streams: Record<string, unknown>[] }).streams
    .filter((s) => streamByName(s.name as string)!.selectedByDefault && (!only || only.includes(s.name as string)))
    .map((stream) => ({
      stream,
      sync_mode: 'incremental',
      destination_sync_mode: 'overwrite',
      ...(stream.default_cursor_field ? { cursor_field: stream.default_cursor_field } : {}),
      primary_key: stream.source_defined_primary_key,
    }));
  return tempJson('configured_catalog.json', { streams });
}

describe('tap-crm as an Airbyte source (end to end)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let config: string;
  let catalog: Message;

  before(async () => {
    sim = await startSimulator({ records: 3000, seed: 17, rpm: 0, missingEndpoints: [] });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const discovered = await airbyte(['discover', '--config', config]);
    expect(discovered.run.code).to.equal(0);
    catalog = of(discovered.messages, 'CATALOG')[0]!;
  });
  after(async () => sim.close());

  it('with type drift, every record fits the catalog as it is: what cannot be converted is in _drifted, with meta.changes NULLED', async () => {
    const drifting = await startSimulator({ records: 2000, seed: 19, rpm: 0, drift: 0.1 });
    try {
      const cfg = tempJson('config.json', { api_key: drifting.apiKey, base_url: drifting.baseUrl, requests_per_minute: 100_000 });
      const { run, messages } = await airbyte(['read', '--config', cfg, '--catalog', configuredCatalog(catalog)]);
      expect(run.code, run.stderr.slice(-2000)).to.equal(0);
      const ajvCatalog = new Ajv({ strict: false });
      addFormats.default(ajvCatalog);
      const schemas = new Map(
        (catalog.catalog as { streams: { name: string; json_schema: object }[] }).streams.map((s) => [
          s.name,
          ajvCatalog.compile(s.json_schema),
        ]),
      );
      let moved = 0;
      for (const m of of(messages, 'RECORD')) {
        const record = m.record as {
          stream: string;
          data: Record<string, unknown>;
          meta?: { changes: { field: string; change: string }[] };
        };
        const fits: boolean = schemas.get(record.stream)!(record.data);
        expect(fits, `${record.stream} ${String(record.data.id)}: ${ajvCatalog.errorsText(schemas.get(record.stream)!.errors)}`).to.equal(
          true,
        );
        const drifted = Object.keys((record.data._drifted as Record<string, unknown> | undefined) ?? {});
        expect(
          (record.meta?.changes ?? []).map((c) => [c.field, c.change]),
          `${record.stream} ${String(record.data.id)}`,
        ).to.deep.equal(drifted.map((field) => [field, 'NULLED']));
        for (const field of drifted) expect(record.data[field]).to.equal(null);
        moved += drifted.length;
      }
      expect(moved).to.be.greaterThan(20);
      for (const [stream, list] of Object.entries(drifting.drifts())) {
        expect(idsOf(messages, stream), stream).to.include.members(list.map((d) => d.id));
      }
    } finally {
      await drifting.close();
    }
  });

  it('spec prints one SPEC, with api_key an airbyte_secret', async () => {
    const { run, messages } = await airbyte(['spec']);
    expect(run.code).to.equal(0);
    expect(messages.map((m) => m.type)).to.deep.equal(['SPEC']);
  });

  it('check answers SUCCEEDED, or FAILED with what to fix, and exits 0 either way, never printing the key', async () => {
    const good = await airbyte(['check', '--config', config]);
    expect(good.run.code).to.equal(0);
    expect(of(good.messages, 'CONNECTION_STATUS').map((m) => m.connectionStatus)).to.deep.equal([{ status: 'SUCCEEDED' }]);
    const key = 'wrong-key-must-not-leak-9';
    const wrong = await airbyte(['check', '--config', tempJson('c.json', { api_key: key, base_url: sim.baseUrl })]);
    expect(wrong.run.code).to.equal(0);
    expect(of(wrong.messages, 'CONNECTION_STATUS')[0]!.connectionStatus).to.deep.include({ status: 'FAILED' });
    expect((of(wrong.messages, 'CONNECTION_STATUS')[0]!.connectionStatus as { message: string }).message).to.match(
      /the API refused the token/,
    );
    expect(wrong.run.stdout + wrong.run.stderr).not.to.include(key);
    const missing = await airbyte(['check', '--config', tempJson('c.json', { api_key: key })]);
    expect((of(missing.messages, 'CONNECTION_STATUS')[0]!.connectionStatus as { message: string }).message).to.match(
      /setting "base_url" is missing/,
    );
  });

  it('reads every stream of a configured catalog, with a STATE and STREAM_STATUS per stream, then reads incrementally from those states', async () => {
    const configured = configuredCatalog(catalog);
    const first = await airbyte(['read', '--config', config, '--catalog', configured, '--state', tempJson('s.json', [])]);
    expect(first.run.code, first.run.stderr.slice(-2000)).to.equal(0);
    const truth = sim.truth();
    for (const stream of STREAM_NAMES) expect(idsOf(first.messages, stream), stream).to.deep.equal(truth[stream].map((r) => r.id));
    expect(records(first.messages).every((r) => Number.isInteger(r.emitted_at))).to.equal(true);
    const states = of(first.messages, 'STATE').map((m) => m.state as { type: string; stream: { stream_descriptor: { name: string } } });
    expect(states.every((s) => s.type === 'STREAM')).to.equal(true);
    expect(new Set(states.map((s) => s.stream.stream_descriptor.name))).to.deep.equal(new Set(STREAM_NAMES));
    const statuses = traces(first.messages, 'STREAM_STATUS').map(
      (t) => t.stream_status as { status: string; stream_descriptor: { name: string } },
    );
    expect(statuses.filter((s) => s.stream_descriptor.name === 'tickets').map((s) => s.status)).to.deep.equal(['STARTED', 'COMPLETE']);
    expect(of(first.messages, 'LOG').length, 'log lines as LOG messages').to.be.greaterThan(0);

    // PyAirbyte hands back the last STATE of each stream, as an array of bare state messages.
    const handedBack = states.map((state) => ({ ...state, global_: null, data: null }));
    const change = sim.mutate({ stream: 'tickets', update: 3 });
    sim.resetStats();
    const second = await airbyte(['read', '--config', config, '--catalog', configured, '--state', tempJson('s.json', handedBack)]);
    expect(second.run.code, second.run.stderr.slice(-2000)).to.equal(0);
    expect(sim.stats().endpoints.tickets!.values.since_updated_at).to.have.length(1);
    expect(idsOf(second.messages, 'tickets')).to.include.members(change.updated);
    expect(idsOf(second.messages, 'tickets').length).to.be.below(20);
  });

  it('a failing stream: TRACE ERROR, STREAM_STATUS INCOMPLETE for it, the others read, and a non-zero exit', async () => {
    const broken = await startSimulator({ records: 1000, seed: 18, rpm: 0, missingEndpoints: ['leads'] });
    try {
      const brokenConfig = tempJson('config.json', { api_key: broken.apiKey, base_url: broken.baseUrl, requests_per_minute: 100_000 });
      const { run, messages } = await airbyte([
        'read',
        '--config',
        brokenConfig,
        '--catalog',
        configuredCatalog(catalog, ['leads', 'contacts']),
      ]);
      expect(run.code).to.equal(1);
      const [error] = traces(messages, 'ERROR');
      expect((error!.error as { message: string; failure_type: string }).failure_type).to.equal('transient_error');
      expect((error!.error as { message: string }).message).to.match(
        /1 stream\(s\) failed: leads \(stream leads, GET \/leads page 1: HTTP 404/,
      );
      const leads = traces(messages, 'STREAM_STATUS').filter(
        (t) => (t.stream_status as { stream_descriptor: { name: string } }).stream_descriptor.name === 'leads',
      );
      expect(leads.map((t) => (t.stream_status as { status: string }).status)).to.deep.equal(['STARTED', 'INCOMPLETE']);
      expect(idsOf(messages, 'contacts')).to.deep.equal(broken.truth().contacts.map((r) => r.id));
    } finally {
      await broken.close();
    }
  });

  it('refuses a LEGACY or GLOBAL state, and a catalog naming an unknown stream: TRACE ERROR config_error, exit 2, no request', async () => {
    const configured = configuredCatalog(catalog, ['contacts']);
    const cases: [string[], RegExp][] = [
      [['--catalog', configured, '--state', tempJson('s.json', { type: 'LEGACY', data: {} })], /expected an array of STATE messages/],
      [['--catalog', configured, '--state', tempJson('s.json', [{ type: 'GLOBAL', global: {} }])], /only STREAM states are read/],
      [
        ['--catalog', tempJson('c.json', { streams: [{ stream: { name: 'widgets', json_schema: { properties: {} } } }] })],
        /unknown stream "widgets"/,
      ],
      [[], /read needs --catalog/],
    ];
    for (const [args, message] of cases) {
      sim.resetStats();
      const { run, messages } = await airbyte(['read', '--config', config, ...args]);
      expect(run.code, run.stdout).to.equal(2);
      const [error] = traces(messages, 'ERROR');
      expect(error!.error).to.deep.include({ failure_type: 'config_error' });
      expect((error!.error as { message: string }).message).to.match(message);
      expect(sim.stats().total).to.equal(0);
    }
  });

  it('never writes the API key, at DEBUG, in any message', async () => {
    const debug = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, log_level: 'DEBUG' });
    const { run } = await airbyte(['read', '--config', debug, '--catalog', configuredCatalog(catalog, ['contacts'])]);
    expect(run.code).to.equal(0);
    expect(run.stdout).to.include('"type":"LOG"');
    expect(run.stdout + run.stderr).not.to.include(sim.apiKey);
  });
});
