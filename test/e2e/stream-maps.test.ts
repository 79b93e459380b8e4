/**
 * End-to-end: the built tap with stream maps and flattening against the simulator, types drifting: every
 * RECORD conforms to the last SCHEMA of its output stream (drift's widened SCHEMAs go through the maps
 * too), bookmarks stay keyed by the source stream, ACTIVATE_VERSION follows renamed and copied streams;
 * a mistake in a map ends the run before any request (exit 2, one CRITICAL line naming the stream, the
 * property and the column); an expression that fails on a record names it (exit 1); Airbyte mode refuses
 * the settings. test/integration/stream-maps.test.ts compares the output with the SDK's own mapper.
 */
import { expect } from 'chai';
import { Ajv, type ValidateFunction } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

const MAPS = {
  stream_maps: {
    customers: {
      email: "md5(config['seed'] + email) if email else None",
      tenant: "config['tenant']",
      phone: null,
      mobile: '__NULL__',
    },
    contacts: { __alias__: 'people' },
    customers_even: { __source__: 'customers', __filter__: 'id % 2 == 0', __else__: null, id: 'id', updated_at: 'updated_at' },
    products: { __alias__: 'catalogue' },
    leads: null,
  },
  stream_map_config: { seed: 's-', tenant: 'acme' },
  flattening_enabled: true,
  flattening_max_depth: 1,
};

function nonConforming(messages: SingerMessage[]): string[] {
  const ajv = new Ajv({ strict: false });
  addFormats.default(ajv);
  const validators = new Map<string, ValidateFunction>();
  const failures: string[] = [];
  for (const m of messages) {
    // A map with "__else__": null writes the SDK's PropertiesList schema, which names draft 2020-12.
    if (m.type === 'SCHEMA') validators.set(m.stream!, ajv.compile({ ...m.schema!, $schema: undefined }));
    if (m.type !== 'RECORD') continue;
    const validate = validators.get(m.stream!);
    if (!validate?.(m.record)) failures.push(`${m.stream!} ${JSON.stringify(m.record).slice(0, 200)}: ${ajv.errorsText(validate?.errors)}`);
  }
  return failures.slice(0, 5);
}

const recordsOf = (run: TapRun, stream: string) =>
  run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record!);

describe('stream maps and flattening end to end', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let base: Record<string, unknown>;
  let run: TapRun;

  before(async () => {
    sim = await startSimulator({ records: 2000, seed: 23, rpm: 0, drift: 0.08 });
    base = { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, activate_version: true };
    run = await runTap(['--config', tempJson('c.json', { ...base, ...MAPS })]);
  });
  after(async () => sim.close());

  it('exits 0; every RECORD conforms to the last SCHEMA of its output stream, drift included', () => {
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(nonConforming(run.messages)).to.deep.equal([]);
  });

  it('writes the mapped streams: renamed, copied and filtered, dropped, hashed, flattened', () => {
    const streams = new Set(run.messages.filter((m) => m.type === 'SCHEMA').map((m) => m.stream));
    expect([...streams]).to.include.members(['customers', 'people', 'customers_even', 'catalogue']);
    for (const gone of ['contacts', 'products', 'leads']) expect(streams.has(gone), gone).to.equal(false);
    const customers = recordsOf(run, 'customers');
    expect(customers.length).to.be.greaterThan(0);
    for (const c of customers) {
      expect(c).not.to.have.any.keys('phone', 'mobile');
      // An object without declared properties: its JSON text, flattened.
      expect(c.properties === null || typeof c.properties === 'string', String(c.properties)).to.equal(true);
      expect(c.tenant).to.equal('acme');
      if (c.email !== null) expect(c.email).to.match(/^[0-9a-f]{32}$/);
    }
    const even = recordsOf(run, 'customers_even');
    expect(even.length).to.be.greaterThan(0);
    for (const c of even) {
      expect(Object.keys(c).sort()).to.deep.equal(['id', 'updated_at']);
      expect((c.id as number) % 2).to.equal(0);
    }
  });

  it('keys bookmarks by the source stream; ACTIVATE_VERSION follows the renamed full-table stream', () => {
    const state = run.messages.filter((m) => m.type === 'STATE').at(-1)!.value as { bookmarks: Record<string, unknown> };
    expect(state.bookmarks).to.include.keys('customers', 'contacts', 'products');
    expect(state.bookmarks).not.to.include.keys('people', 'customers_even', 'catalogue');
    const activated = run.messages.filter((m) => m.type === 'ACTIVATE_VERSION').map((m) => m.stream);
    expect(activated).to.include('catalogue');
    expect(activated).not.to.include('products');
    const versions = new Set(
      recordsOf(run, 'catalogue').map((_, i) => run.messages.filter((m) => m.stream === 'catalogue' && m.type === 'RECORD')[i]!.version),
    );
    expect(versions.size).to.equal(1);
  });

  it('a mistake in a map: exit 2 before any request, one CRITICAL line with the stream, the property and the column', async () => {
    sim.resetStats?.();
    const before = sim.stats().total;
    const bad = await runTap(['--config', tempJson('c.json', { ...base, stream_maps: { customers: { x: 'email +' } } })]);
    expect(bad.code).to.equal(2);
    expect(bad.stderrLines).to.have.length(1);
    expect(bad.stderrLines[0]).to.match(
      /^CRITICAL setting "stream_maps": stream map "customers", property "x": the expression "email \+" cannot be parsed: .* at column 8$/,
    );
    expect(sim.stats().total).to.equal(before);
    const key = await runTap(['--config', tempJson('c.json', { ...base, stream_maps: { customers: { id: null } } })]);
    expect(key.code).to.equal(2);
    expect(key.stderr).to.match(/removing key property 'id' is not permitted/);
    const bookmark = await runTap(['--config', tempJson('c.json', { ...base, stream_maps: { customers: { updated_at: null } } })]);
    expect(bookmark.code).to.equal(2);
    expect(bookmark.stderr).to.match(/removes the replication key "updated_at"/);
  });

  it('a misspelt name in an expression: exit 2 before any request, one CRITICAL line with the stream, the expression and the name', async () => {
    const before = sim.stats().total;
    const maps = { customers: { x: 'emial.upper()', y: "[e for e in [email, 'a'] if e]" }, leads: { __filter__: 'record and config' } };
    const bad = await runTap(['--config', tempJson('c.json', { ...base, stream_maps: maps })]);
    expect(bad.code).to.equal(2);
    expect(bad.stderrLines).to.deep.equal([
      `CRITICAL setting "stream_maps": stream map "customers", property "x": the expression "emial.upper()" reads "emial", which is not a ` +
        'property of stream customers (nor record, _, config, self, __stream_name__, __original_stream_name__ or a function): check its ' +
        "spelling (a property the schema does not declare is read with record.get('emial'))",
    ]);
    // The same in a filter, and a comprehension's variable read outside it.
    const filter = await runTap([
      '--config',
      tempJson('c.json', { ...base, stream_maps: { leads: { __filter__: '[e for e in [1]] and e' } } }),
    ]);
    expect(filter.code).to.equal(2);
    expect(filter.stderrLines).to.have.length(1);
    expect(filter.stderrLines[0]).to.match(
      /stream map "leads", property "__filter__": the expression .* reads "e", which is not a property of stream leads/,
    );
    expect(sim.stats().total).to.equal(before);
  });

  it('an expression that fails on a record: the stream fails naming the record id, exit 1', async () => {
    const failing = await runTap(['--config', tempJson('c.json', { ...base, stream_maps: { customers: { n: "int('x' + str(id))" } } })]);
    expect(failing.code).to.equal(1);
    expect(failing.stderr).to.match(
      /stream map "customers", property "n": the expression .* failed on record id \d+: ValueError: invalid literal for int\(\)/,
    );
    expect(failing.stderr).not.to.match(/\n\s+at /);
  });

  it('Airbyte mode refuses the settings (exit 2, a config_error TRACE)', async () => {
    const catalog = tempJson('catalog.json', { streams: [] });
    const refused = await runTap(['read', '--config', tempJson('c.json', { ...base, ...MAPS }), '--catalog', catalog]);
    expect(refused.code).to.equal(2);
    expect(refused.stdout).to.match(/"failure_type":"config_error"/);
    expect(refused.stdout).to.match(/are Singer features/);
    // The platform's check says so before any read.
    const checked = await runTap(['check', '--config', tempJson('c.json', { ...base, ...MAPS })]);
    expect(checked.code).to.equal(0);
    const status = JSON.parse(checked.stdout.trim().split('\n').at(-1)!) as { connectionStatus: { status: string; message: string } };
    expect(status.connectionStatus.status).to.equal('FAILED');
    expect(status.connectionStatus.message).to.match(/are Singer features/);
  });
});
