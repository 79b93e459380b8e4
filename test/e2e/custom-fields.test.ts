/**
 * End-to-end: with custom_fields "columns", discovery given a config declares one typed column per visible
 * custom field the simulator's account defines, and every record's column holds what its value means in the
 * simulator's truth (a drop-down's label, a check box's boolean, the text; a misfit in _drifted), in both
 * protocols; without the setting nothing changes and nothing is asked; definitions that cannot be read and
 * catalogs without the columns fail nothing.
 */
import { expect } from 'chai';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import type { CustomFieldTruth } from '../../src/simulator/custom-fields.js';
import { EXPECTED, expectedOf, STREAMS } from '../helpers/custom-fields.js';
import { runTap, tempJson, type TapRun } from '../helpers/run-tap.js';
import { airbyte, recordsOf } from '../helpers/airbyte.js';
import { discoveredCatalog, type DiscoveredCatalog } from '../helpers/catalog.js';

function only(catalog: DiscoveredCatalog, streams: readonly string[]): DiscoveredCatalog {
  for (const s of catalog.streams) s.metadata.find((m) => m.breadcrumb.length === 0)!.metadata.selected = streams.includes(s.stream);
  return catalog;
}

/** Every record of each stream checked against the truth; the number of values of each kind seen, for the test to require variety. */
function checkRecords(records: { stream: string; data: Record<string, unknown> }[], truth: CustomFieldTruth): Record<string, number> {
  const seen: Record<string, number> = { label: 0, boolean: 0, text: 0, misfit: 0, null: 0 };
  for (const stream of STREAMS) {
    const ofStream = records.filter((r) => r.stream === stream);
    expect(ofStream.length, stream).to.equal(Object.keys(truth[stream]).length);
    for (const { data } of ofStream) {
      const fields = truth[stream][data.id as number]!;
      const { columns, drifted } = expectedOf(stream, fields);
      const actual = Object.fromEntries(Object.keys(columns).map((c) => [c, data[c]]));
      expect(actual, `${stream} ${String(data.id)}`).to.deep.equal(columns);
      const own = Object.fromEntries(
        Object.entries((data._drifted as Record<string, unknown> | null) ?? {}).filter(([k]) => k.startsWith('cf_')),
      );
      expect(own, `${stream} ${String(data.id)} _drifted`).to.deep.equal(drifted);
      // properties keeps what the API sent: a misfit as it was, hidden fields included.
      const properties = data.properties as Record<string, unknown>;
      for (const t of fields) {
        expect(properties, `${stream} ${String(data.id)}`).to.have.property(t.name);
        if (t.misfit !== undefined) expect(properties[t.name]).to.deep.equal(t.misfit);
      }
      for (const t of fields) {
        const kind = t.misfit !== undefined ? 'misfit' : t.meaning === null ? 'null' : typeof t.meaning === 'boolean' ? 'boolean' : 'text';
        seen[kind]!++;
      }
      seen.label! += fields.filter((t) => !t.hidden && t.field_type === 'select_box' && typeof t.meaning === 'string').length;
    }
  }
  return seen;
}

describe('custom fields as columns (end to end)', function () {
  this.timeout(300_000);
  let sim: Simulator;

  before(async () => {
    sim = await startSimulator({ records: 1200, seed: 32, rpm: 0 });
  });
  after(async () => sim.close());

  const config = (extra: Record<string, unknown> = {}, key = sim.apiKey) =>
    tempJson('config.json', { api_key: key, base_url: sim.baseUrl, requests_per_minute: 100_000, ...extra });

  async function discover(cfg: string): Promise<DiscoveredCatalog> {
    const run = await runTap(['--discover', '--config', cfg]);
    expect(run.code, run.stderr).to.equal(0);
    return JSON.parse(run.stdout) as DiscoveredCatalog;
  }

  async function sync(cfg: string, catalog: DiscoveredCatalog): Promise<TapRun> {
    const run = await runTap(['--config', cfg, '--catalog', tempJson('catalog.json', catalog)]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    return run;
  }

  const records = (run: TapRun) => run.messages.filter((m) => m.type === 'RECORD').map((m) => ({ stream: m.stream!, data: m.record! }));

  it('Singer: a typed column per defined visible field, each record’s value its meaning, misfits in _drifted, 2 requests', async () => {
    const cfg = config({ custom_fields: 'columns' });
    sim.resetStats();
    const catalog = await discover(cfg);
    expect(sim.stats().endpoints.settings?.requests).to.equal(2);
    for (const stream of STREAMS) {
      const properties = catalog.streams.find((s) => s.stream === stream)!.schema.properties as Record<string, { type: string[] }>;
      const columns = Object.fromEntries(
        Object.entries(properties)
          .filter(([name]) => name.startsWith('cf_'))
          .map(([name, schema]) => [name, schema.type]),
      );
      expect(columns, stream).to.deep.equal(Object.fromEntries(Object.values(EXPECTED[stream]).map(([c, type]) => [c, ['null', type]])));
    }
    // The other streams are as discovered without a config.
    const plain = discoveredCatalog();
    for (const s of catalog.streams.filter((s) => !(STREAMS as string[]).includes(s.stream)))
      expect(s, s.stream).to.deep.equal(plain.streams.find((p) => p.stream === s.stream));

    sim.resetStats();
    const run = await sync(cfg, only(catalog, STREAMS));
    expect(sim.stats().endpoints.settings?.requests).to.equal(2);
    const seen = checkRecords(records(run), sim.customFields());
    for (const [kind, count] of Object.entries(seen)) expect(count, kind).to.be.greaterThan(0);
    // Each column's misfits are said once: one line per column and run.
    for (const stream of STREAMS)
      for (const [column] of Object.values(EXPECTED[stream])) {
        const said = run.stderrLines.filter((l) => /^(WARNING|INFO) /.test(l) && l.includes(`stream ${stream}: property ${column} `));
        expect(said.length, `${stream}.${column}`).to.be.at.most(1);
      }
    expect(
      run.stderrLines.some((l) => /WARNING stream tickets: property cf_\w+ is declared .* none of the drop-down's answers/.test(l)),
    ).to.equal(true);
    // The streams table counts the definitions' requests on a row of their own.
    expect(run.stderr).to.match(/INFO custom field definitions +ok +0 +2 +2 /);
    // The records conform to their SCHEMA: the columns' types as announced.
    const schema = run.messages.find((m) => m.type === 'SCHEMA' && m.stream === 'tickets')!.schema as {
      properties: Record<string, unknown>;
    };
    expect(schema.properties.cf_rush).to.deep.include({ type: ['null', 'boolean'] });
  });

  it('without the setting: no column and no request, discovery with a config as without', async () => {
    sim.resetStats();
    const catalog = await discover(config());
    expect(catalog).to.deep.equal(discoveredCatalog());
    const run = await sync(config(), only(catalog, STREAMS));
    expect(sim.stats().endpoints.settings).to.equal(undefined);
    for (const { data } of records(run)) expect(Object.keys(data).filter((k) => k.startsWith('cf_'))).to.deep.equal([]);
  });

  it('a catalog without the columns (written before the setting): the run goes on, says once a stream that discovery would add them', async () => {
    const run = await sync(config({ custom_fields: 'columns' }), only(discoveredCatalog(), STREAMS));
    for (const stream of STREAMS) {
      const said = run.stderrLines.filter((l) => l.startsWith(`INFO stream ${stream}: `) && l.includes('have no column in the catalog'));
      expect(said.length, stream).to.equal(1);
      expect(said[0]).to.include('discover again');
    }
    for (const { data } of records(run)) expect(Object.keys(data).filter((k) => k.startsWith('cf_'))).to.deep.equal([]);
  });

  it('definitions the key may not read: a WARNING, no column; a sync of a catalog with columns goes on with properties only', async () => {
    const limited = config({ custom_fields: 'columns' }, sim.limitedApiKey);
    const discovery = await runTap(['--discover', '--config', limited]);
    expect(discovery.code).to.equal(0);
    expect(discovery.stderr).to.match(
      /WARNING custom_fields "columns": custom field definitions could not be read \(.*\/settings.*401.*\/tickets\/settings.*401.*give it that permission/,
    );
    expect((JSON.parse(discovery.stdout) as DiscoveredCatalog).streams).to.deep.equal(discoveredCatalog().streams);
    expect(discovery.stderr).not.to.include(sim.limitedApiKey);

    const withColumns = only(await discover(config({ custom_fields: 'columns' })), STREAMS);
    const run = await sync(limited, withColumns);
    expect(run.stderrLines.filter((l) => l.startsWith('WARNING custom_fields')).length).to.equal(1);
    const synced = records(run);
    expect(synced.length).to.be.greaterThan(0);
    for (const { data } of synced) expect(Object.keys(data).filter((k) => k.startsWith('cf_'))).to.deep.equal([]);
  });

  it('with flattening, the records are those without the columns, the columns added (strings beyond ASCII read right)', async () => {
    const catalog = only(await discover(config({ custom_fields: 'columns' })), STREAMS);
    const flat = { flattening_enabled: true, flattening_max_depth: 1 };
    const withColumns = records(await sync(config({ custom_fields: 'columns', ...flat }), catalog));
    const without = records(await sync(config(flat), catalog));
    expect(withColumns.length).to.equal(without.length);
    const byKey = new Map(without.map((r) => [`${r.stream} ${String(r.data.id)}`, r.data]));
    let beyondAscii = 0;
    for (const { stream, data } of withColumns) {
      const plain = Object.fromEntries(Object.entries(data).filter(([k]) => !k.startsWith('cf_') && k !== '_drifted'));
      const other = byKey.get(`${stream} ${String(data.id)}`)!;
      expect(plain, `${stream} ${String(data.id)}`).to.deep.equal(
        Object.fromEntries(Object.entries(other).filter(([k]) => k !== '_drifted')),
      );
      if (/[\u0080-\uffff]/.test(JSON.stringify(plain))) beyondAscii++;
    }
    expect(beyondAscii, 'records with text beyond ASCII').to.be.greaterThan(50);
  });

  it('discovery with a config it cannot read, custom_fields unknown: the catalog without columns, as without a config', async () => {
    const broken = tempJson('config.json', '{"api_key": ');
    const run = await runTap(['--discover', '--config', broken]);
    expect(run.code, run.stderr).to.equal(0);
    expect(JSON.parse(run.stdout)).to.deep.equal(discoveredCatalog());
  });

  it('Airbyte: discover --config declares the columns; read fills them with the meanings', async () => {
    const cfg = config({ custom_fields: 'columns' });
    const { messages } = await airbyte(['discover', '--config', cfg]);
    const streams = (messages.find((m) => m.type === 'CATALOG')!.catalog as { streams: Record<string, unknown>[] }).streams;
    const tickets = streams.find((s) => s.name === 'tickets')!;
    expect((tickets.json_schema as { properties: Record<string, unknown> }).properties.cf_warranty).to.deep.include({
      type: ['null', 'string'],
    });
    const configured = streams
      .filter((s) => (STREAMS as string[]).includes(s.name as string))
      .map((stream) => ({
        stream,
        sync_mode: 'incremental',
        destination_sync_mode: 'append_dedup',
        cursor_field: ['updated_at'],
        primary_key: [['id']],
      }));
    const read = await airbyte(['read', '--config', cfg, '--catalog', tempJson('configured.json', { streams: configured })]);
    expect(read.run.code, read.run.stderr).to.equal(0);
    checkRecords(recordsOf(read.messages), sim.customFields());
  });
});
