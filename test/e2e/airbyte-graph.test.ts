/**
 * End-to-end, Airbyte: every combination a user can pick in a configured catalog for a parent and the
 * lists under its records (tickets, ticket_comments, ticket_worksheet_results; customers, customer_phones;
 * customer_assets, asset_patches; products, product_serials), each stream in each sync mode its CATALOG
 * offers. Two reads with state, changes on the server between them (updates and inserts), into a model of a
 * destination that does what the modes say (full_refresh + overwrite replaces a table with what a read
 * emitted, incremental + append_dedup merges by key): after the second read, every table equals the API,
 * and every STATE names a configured stream.
 */
import { expect } from 'chai';
import type { JsonObject } from '../../src/simulator/record-context.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { keyPropertiesOf, streamByName } from '../../src/streams.js';
import { tempJson } from '../helpers/run-tap.js';
import { airbyte, ofType, recordsOf, statesOf, type AirbyteMessage } from '../helpers/airbyte.js';

type Mode = 'full_refresh' | 'incremental';
/** A stream left out of the configured catalog, or configured in a sync mode. */
type Pick = Mode | undefined;

const GROUPS: readonly { parent: StreamName; children: readonly string[] }[] = [
  { parent: 'tickets', children: ['ticket_comments', 'ticket_worksheet_results'] },
  { parent: 'customers', children: ['customer_phones'] },
  { parent: 'customer_assets', children: ['asset_patches'] },
  { parent: 'products', children: ['product_serials'] },
];

/** The parent of each child (the simulator's truth of a child is read under it). */
const PARENT_OF: Record<string, StreamName> = Object.fromEntries(GROUPS.flatMap((g) => g.children.map((c) => [c, g.parent])));
const PARENT_FIELD: Record<string, string> = {
  ticket_worksheet_results: 'ticket_id',
  customer_phones: 'customer_id',
  product_serials: 'product_id',
  asset_patches: 'asset_id',
};

/** Every pick of modes for a group's streams, as the CATALOG offers them, but the empty one. */
function combinations(streams: readonly string[], offers: (stream: string) => readonly Mode[]): Record<string, Pick>[] {
  let all: Record<string, Pick>[] = [{}];
  for (const stream of streams) all = all.flatMap((pick) => [undefined, ...offers(stream)].map((mode) => ({ ...pick, [stream]: mode })));
  return all.filter((pick) => Object.values(pick).some((mode) => mode !== undefined));
}

/** A destination's tables, as the sync modes say (docs.airbyte.com: full-refresh-overwrite, incremental-append-deduped). */
class Destination {
  readonly tables = new Map<string, Map<string, Record<string, unknown>>>();

  load(modes: Record<string, Mode>, messages: AirbyteMessage[]): void {
    for (const [stream, mode] of Object.entries(modes)) {
      const keys = keyPropertiesOf(streamByName(stream)!);
      const table =
        mode === 'full_refresh' || !this.tables.has(stream) ? new Map<string, Record<string, unknown>>() : this.tables.get(stream)!;
      for (const record of recordsOf(messages).filter((r) => r.stream === stream))
        table.set(JSON.stringify(keys.map((k) => record.data[k])), record.data);
      this.tables.set(stream, table);
    }
  }
}

/**
 * What the API holds for a stream now: its keys, and each record's updated_at where it has one (as an
 * instant). Not for asset_patches, keyed by the list each member came from: compared by count.
 */
function truthOf(sim: Simulator, stream: string): Map<string, number | null> {
  const keys = keyPropertiesOf(streamByName(stream)!);
  const parent = PARENT_OF[stream];
  const field = PARENT_FIELD[stream];
  const records: JsonObject[] = parent
    ? sim.truth()[parent].flatMap((p) => sim.children(stream as never, p.id).map((r) => (field ? { ...r, [field]: p.id } : r)))
    : sim.truth()[stream as StreamName].map((r) => ({ id: r.id, updated_at: r.updated_at }));
  return new Map(records.map((r) => [JSON.stringify(keys.map((k) => r[k])), r.updated_at ? Date.parse(r.updated_at as string) : null]));
}

function tableOf(destination: Destination, stream: string): Map<string, number | null> {
  const table = destination.tables.get(stream)!;
  return new Map([...table].map(([key, r]) => [key, r.updated_at ? Date.parse(r.updated_at as string) : null]));
}

describe('Airbyte: parents and the lists under their records, in every sync mode the catalog offers (end to end)', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let config: string;
  let offered: Map<string, Record<string, unknown>>;

  before(async () => {
    sim = await startSimulator({ records: 1200, seed: 31, rpm: 0 });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const discovered = await airbyte(['discover', '--config', config]);
    const streams = (ofType(discovered.messages, 'CATALOG')[0]!.catalog as { streams: Record<string, unknown>[] }).streams;
    offered = new Map(streams.map((s) => [s.name as string, s]));
  });
  after(async () => sim?.close());

  it('offers incremental where a stream can honour it: a cursor of its own, and a parent that says what changed', () => {
    const modes = (name: string) => offered.get(name)!.supported_sync_modes;
    expect(modes('ticket_comments')).to.deep.equal(['full_refresh', 'incremental']);
    expect(modes('customer_phones')).to.deep.equal(['full_refresh', 'incremental']);
    for (const name of ['ticket_worksheet_results', 'asset_patches', 'product_serials'])
      expect(modes(name), name).to.deep.equal(['full_refresh']);
    expect(offered.get('ticket_comments')).to.deep.include({ source_defined_cursor: true, default_cursor_field: ['updated_at'] });
  });

  const offers = (stream: string) => (offered.get(stream)!.supported_sync_modes as Mode[]).slice();
  it('two reads with state after updates and inserts leave every table equal to the API; every STATE names a configured stream', async () => {
    const byGroup = GROUPS.map((group) => combinations([group.parent, ...group.children], offers));
    const rows = Math.max(...byGroup.map((c) => c.length));
    expect(
      byGroup.map((c) => c.length),
      'picks per group',
    ).to.deep.equal([17, 8, 5, 3]);
    let compared = 0;
    for (let row = 0; row < rows; row++) {
      // One read covers a pick of each group (the groups do not share a walk): every pick of every group comes.
      const modes = Object.assign({}, ...byGroup.map((picks) => picks[row % picks.length])) as Record<string, Pick>;
      const configured = Object.fromEntries(Object.entries(modes).filter((entry): entry is [string, Mode] => entry[1] !== undefined));
      const catalog = tempJson('configured_catalog.json', {
        streams: Object.entries(configured).map(([name, mode]) => {
          const stream = offered.get(name)!;
          return {
            stream,
            sync_mode: mode,
            destination_sync_mode: mode === 'full_refresh' ? 'overwrite' : 'append_dedup',
            ...(mode === 'incremental' ? { cursor_field: stream.default_cursor_field } : {}),
            primary_key: stream.source_defined_primary_key,
          };
        }),
      });
      const destination = new Destination();
      const what = JSON.stringify(configured);
      const first = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', tempJson('s.json', [])]);
      expect(first.run.code, `${what}\n${first.run.stderr.slice(-1500)}`).to.equal(0);
      destination.load(configured, first.messages);
      checkStates(first.messages, configured, what);
      for (const parent of ['tickets', 'customers', 'customer_assets'] as const) sim.mutate({ stream: parent, update: 2, insert: 1 });
      sim.mutate({ stream: 'products', update: 1, insert: 1 });
      // PyAirbyte hands back each stream's last STATE.
      const last = new Map(statesOf(first.messages).map((s) => [s.stream.stream_descriptor.name, s]));
      const second = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', tempJson('s.json', [...last.values()])]);
      expect(second.run.code, `${what}\n${second.run.stderr.slice(-1500)}`).to.equal(0);
      destination.load(configured, second.messages);
      checkStates(second.messages, configured, what);
      for (const stream of Object.keys(configured)) {
        if (stream === 'asset_patches') {
          const count = sim.truth().customer_assets.reduce((n, a) => n + sim.children('asset_patches', a.id).length, 0);
          expect(destination.tables.get(stream)!.size, `${what}: ${stream}`).to.equal(count);
        } else expect(tableOf(destination, stream), `${what}: ${stream}`).to.deep.equal(truthOf(sim, stream));
        compared++;
      }
    }
    expect(compared).to.be.greaterThan(40);
  });

  it('a child whose state the platform cleared, its parent’s kept, starts over: every record of it in that read', async () => {
    const streams = { tickets: 'incremental', ticket_comments: 'incremental' } as const;
    const catalog = tempJson('configured_catalog.json', {
      streams: Object.entries(streams).map(([name, mode]) => ({
        stream: offered.get(name),
        sync_mode: mode,
        destination_sync_mode: 'append_dedup',
        cursor_field: ['updated_at'],
        primary_key: offered.get(name)!.source_defined_primary_key,
      })),
    });
    const first = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', tempJson('s.json', [])]);
    expect(first.run.code, first.run.stderr.slice(-1500)).to.equal(0);
    const kept = statesOf(first.messages).filter((s) => s.stream.stream_descriptor.name === 'tickets');
    const again = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', tempJson('s.json', kept)]);
    expect(again.run.code, again.run.stderr.slice(-1500)).to.equal(0);
    const comments = recordsOf(again.messages)
      .filter((r) => r.stream === 'ticket_comments')
      .map((r) => r.data.id as number);
    const all = sim.truth().tickets.flatMap((t) => sim.children('ticket_comments', t.id).map((c) => c.id as number));
    expect(comments.sort((a, b) => a - b)).to.deep.equal(all.sort((a, b) => a - b));
    // ...while tickets, whose state was kept, emit only what changed since.
    expect(recordsOf(again.messages).filter((r) => r.stream === 'tickets').length).to.be.below(sim.truth().tickets.length / 4);
  });
});

/** Every STATE names a configured stream, and each configured stream has one. */
function checkStates(messages: AirbyteMessage[], configured: Record<string, Mode>, what: string): void {
  const named = new Set(statesOf(messages).map((s) => s.stream.stream_descriptor.name));
  expect([...named].sort(), what).to.deep.equal(Object.keys(configured).sort());
}
