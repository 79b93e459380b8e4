/**
 * End-to-end: the lists under a record (worksheet results, asset patches, customer phones, product serials,
 * and ticket comments) against the simulator's own children (src/simulator/children.ts): a first run reads
 * them whole (a sweep), a run with state under the parents that changed only, each child with a bookmark of
 * its own; a record added under a parent that did not change comes at the next sweep; a parent gone by the
 * time its children are asked; a child endpoint that fails, which fails that child alone.
 */
import { expect } from 'chai';
import { assetPatches, type ChildStream } from '../../src/simulator/children.js';
import type { JsonObject } from '../../src/simulator/record-context.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { keyPropertiesOf, pageSizeOf, streamByName } from '../../src/streams.js';
import { discoveredCatalog, selectOnly } from '../helpers/catalog.js';
import { runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

const SEED = 23;
const GONE_EVERY = 7;
const CHILDREN: readonly ChildStream[] = ['ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials'];
const PARENT: Record<ChildStream | 'ticket_comments', StreamName> = {
  ticket_comments: 'tickets',
  ticket_worksheet_results: 'tickets',
  asset_patches: 'customer_assets',
  customer_phones: 'customers',
  product_serials: 'products',
};
const PARENT_FIELD: Record<ChildStream, string> = {
  ticket_worksheet_results: 'ticket_id',
  asset_patches: 'asset_id',
  customer_phones: 'customer_id',
  product_serials: 'product_id',
};

/** The records a child stream must hold under one parent, as the tap writes them (its parent's id set, patches keyed). */
function expectedUnder(sim: Simulator, stream: ChildStream | 'ticket_comments', parentId: number): JsonObject[] {
  if (stream === 'ticket_comments') return sim.children(stream, parentId);
  if (stream === 'asset_patches') {
    const answer = assetPatches(SEED, parentId);
    const added =
      sim.children(stream, parentId).length - [answer.installed_patches, answer.available_patches].flat().filter(Boolean).length;
    const all = assetPatches(SEED, parentId, added);
    const list = (key: string, name: string) =>
      ((all[key] as JsonObject[] | null | undefined) ?? []).map((member) => ({
        ...member,
        patch_list: name,
        asset_id: parentId,
        patch_key: `${(member.kb as string | null) ?? ''}|${member.title as string}`,
      }));
    return [...list('installed_patches', 'installed'), ...list('available_patches', 'available')];
  }
  return sim.children(stream, parentId).map((r) => ({ ...r, [PARENT_FIELD[stream]]: parentId }));
}

/** Each record by its key (keyPropertiesOf), as JSON text of the key values. */
function byKey(stream: string, records: JsonObject[]): Map<string, JsonObject> {
  const keys = keyPropertiesOf(streamByName(stream)!);
  return new Map(records.map((r) => [JSON.stringify(keys.map((k) => r[k])), r]));
}

function expectedOf(sim: Simulator, stream: ChildStream | 'ticket_comments', parentIds: readonly number[]): Map<string, JsonObject> {
  return byKey(
    stream,
    parentIds.flatMap((id) => expectedUnder(sim, stream, id)),
  );
}

function written(run: TapRun, stream: string): JsonObject[] {
  return run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record as JsonObject);
}

function catalogOf(selected: readonly string[]): string {
  return tempJson('catalog.json', selectOnly(selected));
}

type State = { bookmarks: Record<string, Record<string, unknown>> };

function lastState(run: TapRun): State {
  return run.messages.filter((m: SingerMessage) => m.type === 'STATE').at(-1)!.value as State;
}

const ids = (sim: Simulator, stream: StreamName) => sim.truth()[stream].map((r) => r.id);

describe('child streams: what lives under a record (end to end)', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let config: string;

  before(async () => {
    sim = await startSimulator({ records: 4000, seed: SEED, rpm: 0 });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, activate_version: true });
  });
  after(async () => {
    await sim?.close();
  });

  it('are not selected by default; INCREMENTAL by default, FULL_TABLE where a catalog asks, none forced', () => {
    const discovered = discoveredCatalog();
    for (const stream of [...CHILDREN, 'ticket_comments']) {
      const root = discovered.streams.find((s) => s.stream === stream)!.metadata[0]!.metadata;
      expect(root, stream).to.include({
        'selected-by-default': false,
        'replication-method': 'INCREMENTAL',
        'parent-tap-stream-id': PARENT[stream as ChildStream],
      });
      expect(root, stream).not.to.have.property('forced-replication-method');
    }
  });

  it('a first run reads each whole, under every parent (a sweep), keyed as declared, in the requests the streams table states', async () => {
    sim.resetStats();
    const run = await runTap(['--config', config, '--catalog', catalogOf(CHILDREN)]);
    expect(run.code, run.stderr).to.equal(0);
    const stats = sim.stats().endpoints;
    for (const stream of CHILDREN) {
      const parents = ids(sim, PARENT[stream]);
      const expected = expectedOf(sim, stream, parents);
      const got = written(run, stream);
      expect(expected.size, `${stream}: the simulator has children`).to.be.greaterThan(10);
      expect(byKey(stream, got).size, `${stream}: one record a key`).to.equal(got.length);
      expect(byKey(stream, got), stream).to.deep.equal(expected);
      const schema = run.messages.find((m) => m.type === 'SCHEMA' && m.stream === stream)!;
      expect(schema.key_properties, stream).to.deep.equal([...keyPropertiesOf(streamByName(stream)!)]);
      // Unpaged lists take one request a parent; paged ones one a page, and the empty page that ends them.
      const def = streamByName(stream)!;
      const perParent = (id: number) =>
        def.paging.type === 'single' ? 1 : 1 + Math.ceil(expectedUnder(sim, stream, id).length / pageSizeOf(def)!);
      expect(stats[stream]?.requests, `${stream} requests`).to.equal(parents.reduce((sum, id) => sum + perParent(id), 0));
      // A whole read of a versioned table: ACTIVATE_VERSION before (a first sync) and after.
      expect(run.messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === stream).length, stream).to.equal(2);
      // The parents are walked, not written: the summary says so, and counts none of their records.
      expect(run.messages.some((m) => m.stream === PARENT[stream])).to.equal(false);
      const summary = run.stderrLines.find((l) => l.startsWith(`INFO ${PARENT[stream]} `));
      expect(summary, `${PARENT[stream]} in the summary`).to.match(new RegExp(`^INFO ${PARENT[stream]}\\s+walked\\s+0\\s`));
      // Its own bookmark: when the sweep began, and (where the parent has a timestamp) the parent's updated_at reached.
      const bookmark = lastState(run).bookmarks[stream]!;
      expect(bookmark.swept_at, stream).to.be.a('string');
      expect(bookmark.replication_key, stream).to.equal(stream === 'product_serials' ? undefined : `${PARENT[stream]}.updated_at`);
    }
    expect(Object.keys(lastState(run).bookmarks).sort(), 'no bookmark for a parent only walked').to.deep.equal([...CHILDREN].sort());
    const total = run.stderrLines.find((l) => /^INFO total\s/.test(l))!;
    expect(Number(/^INFO total\s+(\d+)/.exec(total)![1]), 'total records: those written').to.equal(
      run.messages.filter((m) => m.type === 'RECORD').length,
    );
  });

  it('a run with state reads each under the parents that changed only, from its own bookmark; tickets keeps since_updated_at', async () => {
    const selected = [...CHILDREN, 'ticket_comments', 'tickets'];
    const first = await runTap(['--config', config, '--catalog', catalogOf(selected)]);
    expect(first.code, first.stderr).to.equal(0);
    const changed: Record<string, number[]> = {};
    for (const parent of ['tickets', 'customers', 'customer_assets'] as const) {
      const { updated, inserted } = sim.mutate({ stream: parent, update: 3, insert: 2 });
      changed[parent] = [...updated, ...inserted];
    }
    sim.mutate({ stream: 'products', insert: 2 });
    sim.resetStats();
    const next = await runTap(['--config', config, '--catalog', catalogOf(selected), '--state', tempJson('s.json', lastState(first))]);
    expect(next.code, next.stderr).to.equal(0);
    const stats = sim.stats().endpoints;
    expect(stats.tickets!.values.since_updated_at, 'tickets filtered by the API').to.have.length(1);
    for (const stream of ['ticket_comments', 'ticket_worksheet_results', 'asset_patches', 'customer_phones'] as const) {
      // The parents updated since the child's bookmark (>=: those at the bookmark itself come again): the changed ones.
      const since = Date.parse(lastState(first).bookmarks[stream]!.replication_key_value as string);
      const truth = sim.truth()[PARENT[stream]];
      const parents = truth.filter((r) => Date.parse(r.updated_at!) >= since).map((r) => r.id);
      expect(parents, stream).to.include.members(changed[PARENT[stream]]!);
      expect(parents.length, stream).to.be.below(changed[PARENT[stream]]!.length + 3);
      // Every record under each of them came again (an updated ticket's new comment among them), and nothing else.
      expect(byKey(stream, written(next, stream)), stream).to.deep.equal(expectedOf(sim, stream, parents));
      expect(stats[stream]?.requests, `${stream}: requests only under the changed parents`).to.be.within(
        parents.length,
        2 * parents.length,
      );
      expect(
        next.messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === stream),
        `${stream}: no sweep`,
      ).to.deep.equal([]);
      const bookmark = lastState(next).bookmarks[stream]!;
      expect(bookmark.replication_key, stream).to.equal(`${PARENT[stream]}.updated_at`);
      expect(Date.parse(bookmark.replication_key_value as string), stream).to.be.greaterThan(
        Date.parse(lastState(first).bookmarks[stream]!.replication_key_value as string),
      );
    }
    // Products say not what changed: nothing of product_serials until its next sweep, and products not even listed.
    expect(written(next, 'product_serials')).to.deep.equal([]);
    expect(stats.product_serials, 'no serial asked').to.equal(undefined);
    expect(stats.products, 'products not listed').to.equal(undefined);
    expect(lastState(next).bookmarks.product_serials).to.deep.equal(lastState(first).bookmarks.product_serials);
    // Between sweeps, the records keep the table version of the last sweep (no ACTIVATE_VERSION deletes them).
    const sweptVersion = lastState(first).bookmarks.ticket_worksheet_results!.version;
    for (const m of next.messages.filter((x) => x.type === 'RECORD' && x.stream === 'ticket_worksheet_results'))
      expect(m.version).to.equal(sweptVersion);
  });

  it('a record added under a parent that did not change is missed between sweeps, and comes at the next (sweep_interval_days)', async () => {
    const selected = ['ticket_worksheet_results', 'customer_phones', 'product_serials'];
    const first = await runTap(['--config', config, '--catalog', catalogOf(selected)]);
    expect(first.code, first.stderr).to.equal(0);
    const tickets = ids(sim, 'tickets').slice(0, 3);
    const products = ids(sim, 'products').slice(0, 2);
    sim.addChildren('ticket_worksheet_results', tickets);
    sim.addChildren('product_serials', products);
    const between = await runTap(['--config', config, '--catalog', catalogOf(selected), '--state', tempJson('s.json', lastState(first))]);
    expect(between.code, between.stderr).to.equal(0);
    const added = (run: TapRun, stream: string) => written(run, stream).filter((r) => (r.id as number) >= 1_000_000_000);
    expect(added(between, 'ticket_worksheet_results')).to.deep.equal([]);
    expect(written(between, 'product_serials')).to.deep.equal([]);
    // Due: the last sweep began 7 days ago (its bookmark says when).
    const state = lastState(between);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    for (const stream of selected) state.bookmarks[stream]!.swept_at = weekAgo;
    const sweep = await runTap(['--config', config, '--catalog', catalogOf(selected), '--state', tempJson('s.json', state)]);
    expect(sweep.code, sweep.stderr).to.equal(0);
    expect(added(sweep, 'ticket_worksheet_results')).to.have.length(tickets.length);
    expect(byKey('ticket_worksheet_results', written(sweep, 'ticket_worksheet_results'))).to.deep.equal(
      expectedOf(sim, 'ticket_worksheet_results', ids(sim, 'tickets')),
    );
    expect(byKey('product_serials', written(sweep, 'product_serials'))).to.deep.equal(
      expectedOf(sim, 'product_serials', ids(sim, 'products')),
    );
    for (const stream of selected) {
      // ACTIVATE_VERSION after the whole sweep only (the table exists), with the sweep's version on every record.
      const messages = sweep.messages.filter((m) => m.stream === stream && m.type !== 'SCHEMA');
      expect(messages.at(-1)!.type, stream).to.equal('ACTIVATE_VERSION');
      expect(
        messages.filter((m) => m.type === 'ACTIVATE_VERSION'),
        stream,
      ).to.have.length(1);
      expect(new Set(messages.map((m) => m.version)).size, stream).to.equal(1);
      expect(Date.parse(lastState(sweep).bookmarks[stream]!.swept_at as string), stream).to.be.greaterThan(Date.parse(weekAgo));
    }
    // sweep_interval_days 0: a sweep every run.
    const always = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      requests_per_minute: 100_000,
      sweep_interval_days: 0,
    });
    const again = await runTap([
      '--config',
      always,
      '--catalog',
      catalogOf(['product_serials']),
      '--state',
      tempJson('s.json', lastState(sweep)),
    ]);
    expect(byKey('product_serials', written(again, 'product_serials'))).to.deep.equal(
      expectedOf(sim, 'product_serials', ids(sim, 'products')),
    );
  });

  it('beside ticket_comments, which follows the tickets updated since start_date, reads worksheet results under every ticket at a sweep', async () => {
    const tickets = sim.truth().tickets;
    const times = tickets.map((t) => Date.parse(t.updated_at!)).sort((x, y) => x - y);
    const startDate = new Date(times[Math.floor(times.length / 2)]!).toISOString();
    const dated = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      requests_per_minute: 100_000,
      start_date: startDate,
    });
    const run = await runTap(['--config', dated, '--catalog', catalogOf(['ticket_comments', 'ticket_worksheet_results'])]);
    expect(run.code, run.stderr).to.equal(0);
    const recent = tickets.filter((t) => Date.parse(t.updated_at!) >= Date.parse(startDate)).map((t) => t.id);
    expect(byKey('ticket_comments', written(run, 'ticket_comments'))).to.deep.equal(expectedOf(sim, 'ticket_comments', recent));
    expect(byKey('ticket_worksheet_results', written(run, 'ticket_worksheet_results'))).to.deep.equal(
      expectedOf(
        sim,
        'ticket_worksheet_results',
        tickets.map((t) => t.id),
      ),
    );
  });

  it('skips the children of a parent gone by the time they are asked (404), with an INFO line, and reads the others', async () => {
    const gone = await startSimulator({ records: 4000, seed: SEED, rpm: 0, childrenGoneEvery: GONE_EVERY });
    try {
      const goneConfig = tempJson('config.json', { api_key: gone.apiKey, base_url: gone.baseUrl, requests_per_minute: 100_000 });
      const run = await runTap(['--config', goneConfig, '--catalog', catalogOf(CHILDREN)]);
      expect(run.code, run.stderr).to.equal(0);
      for (const stream of CHILDREN) {
        const parents = ids(gone, PARENT[stream]);
        const kept = parents.filter((id) => id % GONE_EVERY !== 0);
        expect(byKey(stream, written(run, stream)), stream).to.deep.equal(expectedOf(gone, stream, kept));
        const skipped = parents.filter((id) => id % GONE_EVERY === 0);
        expect(skipped.length, stream).to.be.greaterThan(0);
        const lines = run.stderrLines.filter((l) => l.startsWith(`INFO stream ${stream}: `) && l.includes('is gone'));
        expect(lines, stream).to.have.length(skipped.length);
      }
      expect(run.stderrLines.filter((l) => /^(WARNING|ERROR|CRITICAL)/.test(l))).to.deep.equal([]);
    } finally {
      await gone.close();
    }
  });

  for (const status of [406, 403]) {
    it(`a child endpoint answering ${status} fails that child alone: its parent and the others complete, exit 1 names the child`, async () => {
      const broken = await startSimulator({ records: 2000, seed: SEED, rpm: 0, childStatus: { product_serials: status } });
      try {
        const brokenConfig = tempJson('config.json', { api_key: broken.apiKey, base_url: broken.baseUrl, requests_per_minute: 100_000 });
        const selected = ['products', 'product_serials', 'customers', 'customer_phones'];
        const run = await runTap(['--config', brokenConfig, '--catalog', catalogOf(selected)]);
        expect(run.code, run.stderr).to.equal(1);
        const critical = run.stderrLines.filter((l) => l.startsWith('CRITICAL'));
        expect(critical, run.stderr).to.have.length(1);
        expect(critical[0]).to.match(/^CRITICAL 1 stream\(s\) failed: product_serials \(/);
        // The child's line names its endpoint and permission, and says its parent goes on.
        const error = run.stderrLines.find((l) => l.startsWith('ERROR stream product_serials'))!;
        expect(error)
          .to.include('GET /products/{id}/product_serials')
          .and.include('Products - List/Search')
          .and.include('products and the other streams go on');
        // The parent and the siblings: every record, their STATE, their summary line synced.
        const sorted = (list: number[]) => [...list].sort((a, b) => a - b);
        expect(sorted(written(run, 'products').map((r) => r.id as number))).to.deep.equal(ids(broken, 'products'));
        expect(byKey('customer_phones', written(run, 'customer_phones'))).to.deep.equal(
          expectedOf(broken, 'customer_phones', ids(broken, 'customers')),
        );
        for (const stream of ['products', 'customers', 'customer_phones'])
          expect(
            run.stderrLines.find((l) => l.startsWith(`INFO ${stream} `)),
            stream,
          ).to.match(new RegExp(`^INFO ${stream}\\s+ok\\s`));
        const state = lastState(run);
        expect(state.bookmarks.customers!.replication_key_value).to.be.a('string');
        // The failed child keeps no bookmark of this run: its records come with the next.
        expect(state.bookmarks).not.to.have.property('product_serials');
      } finally {
        await broken.close();
      }
    });
  }
});
