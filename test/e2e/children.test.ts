/**
 * End-to-end: the lists under a record (worksheet results, asset patches, customer phones, product serials)
 * against the simulator's own children (src/simulator/children.ts), full and incremental, with parents
 * that are gone by the time their children are asked, and the requests the README's streams table states.
 */
import { expect } from 'chai';
import { assetPatches, customerPhones, productSerials, worksheetResults, type ChildStream } from '../../src/simulator/children.js';
import type { JsonObject } from '../../src/simulator/record-context.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { keyPropertiesOf, streamByName } from '../../src/streams.js';
import { discoveredCatalog, selectOnly } from '../helpers/catalog.js';
import { runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

const SEED = 23;
const GONE_EVERY = 7;
const CHILDREN: readonly ChildStream[] = ['ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials'];
const PARENT: Record<ChildStream, StreamName> = {
  ticket_worksheet_results: 'tickets',
  asset_patches: 'customer_assets',
  customer_phones: 'customers',
  product_serials: 'products',
};

/** The records a child stream must hold under one parent, as the tap writes them (its parent's id set). */
function expectedUnder(stream: ChildStream, parentId: number): JsonObject[] {
  if (stream === 'asset_patches') {
    const answer = assetPatches(SEED, parentId);
    const list = (key: string, name: string) =>
      ((answer[key] as JsonObject[] | null | undefined) ?? []).map((member) => ({
        ...member,
        patch_list: name,
        asset_id: parentId,
        patch_key: `${(member.kb as string | null) ?? ''}|${member.title as string}`,
      }));
    return [...list('installed_patches', 'installed'), ...list('available_patches', 'available')];
  }
  if (stream === 'customer_phones') return customerPhones(SEED, parentId);
  if (stream === 'product_serials') return productSerials(SEED, parentId).map((r) => ({ ...r, product_id: parentId }));
  return worksheetResults(SEED, parentId).map((r) => ({ ...r, ticket_id: parentId }));
}

/** Each record by its key (keyPropertiesOf), as JSON text of the key values. */
function byKey(stream: ChildStream, records: JsonObject[]): Map<string, JsonObject> {
  const keys = keyPropertiesOf(streamByName(stream)!);
  return new Map(records.map((r) => [JSON.stringify(keys.map((k) => r[k])), r]));
}

function written(run: TapRun, stream: string): JsonObject[] {
  return run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record as JsonObject);
}

function catalogOf(selected: readonly string[]): string {
  return tempJson('catalog.json', selectOnly(selected));
}

function lastState(run: TapRun): unknown {
  return run.messages.filter((m: SingerMessage) => m.type === 'STATE').at(-1)!.value;
}

describe('child streams: what lives under a record (end to end)', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let config: string;
  let parents: Record<ChildStream, number[]>;

  before(async () => {
    sim = await startSimulator({ records: 4000, seed: SEED, rpm: 0 });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, activate_version: true });
    const truth = sim.truth();
    parents = Object.fromEntries(CHILDREN.map((c) => [c, truth[PARENT[c]].map((r) => r.id)])) as Record<ChildStream, number[]>;
  });
  after(async () => {
    await sim?.close();
  });

  it('are not selected by default', async () => {
    const discovered = discoveredCatalog();
    for (const stream of CHILDREN) {
      const entry = discovered.streams.find((s) => s.stream === stream)!;
      expect(entry.metadata[0]!.metadata['selected-by-default'], stream).to.equal(false);
      expect(entry.metadata[0]!.metadata['forced-replication-method'], stream).to.equal('FULL_TABLE');
    }
  });

  it('each equals the simulator’s children of every parent, keyed as declared, in the requests the streams table states', async () => {
    sim.resetStats();
    const run = await runTap(['--config', config, '--catalog', catalogOf(CHILDREN)]);
    expect(run.code, run.stderr).to.equal(0);
    const stats = sim.stats().endpoints;
    for (const stream of CHILDREN) {
      const expected = byKey(
        stream,
        parents[stream].flatMap((id) => expectedUnder(stream, id)),
      );
      const got = written(run, stream);
      expect(expected.size, `${stream}: the simulator has children`).to.be.greaterThan(10);
      expect(byKey(stream, got).size, `${stream}: one record a key`).to.equal(got.length);
      expect(byKey(stream, got), stream).to.deep.equal(expected);
      const schema = run.messages.find((m) => m.type === 'SCHEMA' && m.stream === stream)!;
      expect(schema.key_properties, stream).to.deep.equal([...keyPropertiesOf(streamByName(stream)!)]);
      // Unpaged lists take one request a parent; paged ones one a page, and the empty page that ends them.
      const def = streamByName(stream)!;
      const perParent = (id: number) => (def.unpaged ? 1 : 1 + Math.ceil(expectedUnder(stream, id).length / def.pageSize!));
      const requests = parents[stream].reduce((sum, id) => sum + perParent(id), 0);
      expect(stats[stream]?.requests, `${stream} requests`).to.equal(requests);
      // The parents are walked, not written: the summary says so, and counts none of their records.
      expect(run.messages.some((m) => m.stream === PARENT[stream])).to.equal(false);
      const summary = run.stderrLines.find((l) => l.startsWith(`INFO ${PARENT[stream]} `));
      expect(summary, `${PARENT[stream]} in the summary`).to.match(new RegExp(`^INFO ${PARENT[stream]}\\s+walked\\s+0\\s`));
    }
    const total = run.stderrLines.find((l) => /^INFO total\s/.test(l))!;
    expect(Number(/^INFO total\s+(\d+)/.exec(total)![1]), 'total records: those written').to.equal(
      run.messages.filter((m) => m.type === 'RECORD').length,
    );
    expect(
      parents.product_serials.some((id) => productSerials(SEED, id).length > 100),
      'a product with serials on two pages',
    ).to.equal(true);
  });

  it('reads them whole again in a run with state, under every parent though the parents are read incrementally, with ACTIVATE_VERSION', async () => {
    const selected = [...CHILDREN, 'tickets', 'customers'];
    const first = await runTap(['--config', config, '--catalog', catalogOf(selected)]);
    expect(first.code, first.stderr).to.equal(0);
    sim.mutate({ stream: 'tickets', update: 3 });
    sim.resetStats();
    const next = await runTap(['--config', config, '--catalog', catalogOf(selected), '--state', tempJson('s.json', lastState(first))]);
    expect(next.code, next.stderr).to.equal(0);
    // The incremental parent emits only what changed...
    expect(written(next, 'tickets').length).to.be.lessThan(parents.ticket_worksheet_results.length / 2);
    for (const stream of CHILDREN) {
      // ...and its children are read under every parent all the same: a full table, versioned.
      const expected = byKey(
        stream,
        parents[stream].flatMap((id) => expectedUnder(stream, id)),
      );
      expect(byKey(stream, written(next, stream)), stream).to.deep.equal(expected);
      const versions = next.messages.filter((m) => m.type === 'ACTIVATE_VERSION' && m.stream === stream);
      expect(versions, `${stream}: ACTIVATE_VERSION at the end only (not the first sync)`).to.have.length(1);
    }
    expect(sim.stats().endpoints.tickets?.params).not.to.include('since_updated_at');
  });

  it('beside ticket_comments, which follows the tickets emitted (start_date applies), reads worksheet results under every ticket', async () => {
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
    const recent = new Set(tickets.filter((t) => Date.parse(t.updated_at!) >= Date.parse(startDate)).map((t) => t.id));
    const commented = new Set(written(run, 'ticket_comments').map((c) => c.ticket_id as number));
    expect(commented.size).to.be.greaterThan(0);
    expect(
      [...commented].every((id) => recent.has(id)),
      'comments only of tickets updated since start_date',
    ).to.equal(true);
    const expected = byKey(
      'ticket_worksheet_results',
      parents.ticket_worksheet_results.flatMap((id) => expectedUnder('ticket_worksheet_results', id)),
    );
    expect(byKey('ticket_worksheet_results', written(run, 'ticket_worksheet_results'))).to.deep.equal(expected);
  });

  it('skips the children of a parent gone by the time they are asked (404), with an INFO line, and reads the others', async () => {
    const gone = await startSimulator({ records: 4000, seed: SEED, rpm: 0, childrenGoneEvery: GONE_EVERY });
    try {
      const goneConfig = tempJson('config.json', { api_key: gone.apiKey, base_url: gone.baseUrl, requests_per_minute: 100_000 });
      const run = await runTap(['--config', goneConfig, '--catalog', catalogOf(CHILDREN)]);
      expect(run.code, run.stderr).to.equal(0);
      for (const stream of CHILDREN) {
        const kept = parents[stream].filter((id) => id % GONE_EVERY !== 0);
        expect(byKey(stream, written(run, stream)), stream).to.deep.equal(
          byKey(
            stream,
            kept.flatMap((id) => expectedUnder(stream, id)),
          ),
        );
        const skipped = parents[stream].filter((id) => id % GONE_EVERY === 0);
        expect(skipped.length, stream).to.be.greaterThan(0);
        const lines = run.stderrLines.filter((l) => l.startsWith(`INFO stream ${stream}: `) && l.includes('is gone'));
        expect(lines, stream).to.have.length(skipped.length);
      }
      expect(run.stderrLines.filter((l) => /^(WARNING|ERROR|CRITICAL)/.test(l))).to.deep.equal([]);
    } finally {
      await gone.close();
    }
  });
});
