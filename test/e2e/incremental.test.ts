/**
 * End-to-end: incremental sync, resumable state, ACTIVATE_VERSION and ticket_comments, against the
 * simulator, with the built tap as a child process.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { STREAMS } from '../../src/streams.js';
import { idsByStream, runTap, tempJson, type SingerMessage, type TapRun } from '../helpers/run-tap.js';

const SEED = 11;
const LIST_STREAMS = STREAMS.filter((s) => s.selectedByDefault).map((s) => s.name as StreamName);
const SERVER_FILTERED = ['tickets', 'invoices'];
/** Full-table streams: their records carry no timestamp (docs/api.md#record-shapes). */
const FULL_TABLE = STREAMS.filter((s) => s.selectedByDefault && !s.replicationKey).map((s) => s.name);

type Catalog = {
  streams: {
    stream: string;
    replication_method?: string;
    metadata: { breadcrumb: string[]; metadata: Record<string, unknown> }[];
  }[];
};

function catalog(edit: (c: Catalog, root: (stream: string) => Record<string, unknown>) => void): string {
  const c = JSON.parse(readFileSync(join(ROOT, 'catalog', 'catalog.json'), 'utf8')) as Catalog;
  const root = (stream: string) => c.streams.find((s) => s.stream === stream)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
  edit(c, root);
  return tempJson('catalog.json', c);
}

function lastState(run: TapRun): { bookmarks: Record<string, { replication_key_value?: string; version?: number }> } {
  const states = run.messages.filter((m) => m.type === 'STATE');
  return states.at(-1)!.value as { bookmarks: Record<string, { replication_key_value?: string }> };
}

function sortedIds(ids: Iterable<number> | undefined): number[] {
  return [...(ids ?? [])].sort((a, b) => a - b);
}

function truthIds(sim: Simulator, stream: StreamName): number[] {
  return sortedIds(sim.truth()[stream].map((r) => r.id));
}

describe('incremental sync, state and deletions (end to end)', function () {
  this.timeout(180_000);
  let sim: Simulator;
  let configFile: string;
  let first: TapRun;
  let firstStartedAt: number;

  before(async () => {
    sim = await startSimulator({ records: 2000, seed: SEED, rpm: 0 });
    configFile = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    firstStartedAt = Date.now();
    first = await runTap(['--config', configFile]);
  });
  after(async () => sim.close());

  it('writes a bookmark per incremental stream, none for the full-table ones, none past the start of the sync', () => {
    expect(first.code, first.stderr).to.equal(0);
    expect(FULL_TABLE.sort()).to.deep.equal([
      'canned_responses',
      'new_ticket_forms',
      'product_categories',
      'products',
      'schedules',
      'wiki_pages',
    ]);
    const state = lastState(first);
    for (const stream of LIST_STREAMS) {
      if (FULL_TABLE.includes(stream)) {
        expect(state.bookmarks).not.to.have.property(stream);
        continue;
      }
      const bookmark = state.bookmarks[stream]!;
      expect(bookmark, stream).to.include({ replication_key: 'updated_at' });
      // The simulator's data is older than the sync: the bookmark is the newest updated_at.
      const newest = Math.max(...sim.truth()[stream].map((r) => Date.parse(r.updated_at!)));
      expect(newest).to.be.below(firstStartedAt);
      expect(Date.parse(bookmark.replication_key_value!), stream).to.equal(newest);
    }
  });

  it('a second run emits exactly the changed tickets and invoices (plus equal-timestamp re-sends) in one or two requests each', async () => {
    const bookmarks = lastState(first).bookmarks;
    const changed: Record<string, number[]> = {};
    for (const stream of ['tickets', 'invoices', 'customers', 'leads'] as const) {
      const result = sim.mutate({ stream, update: 3, insert: 2 });
      changed[stream] = [...result.updated, ...result.inserted];
    }
    sim.resetStats();
    const second = await runTap(['--config', configFile, '--state', tempJson('state.json', lastState(first))]);
    expect(second.code, second.stderr).to.equal(0);
    const emitted = idsByStream(second.messages);
    const stats = sim.stats();
    for (const stream of LIST_STREAMS) {
      // Equal-timestamp re-sends: records whose updated_at is exactly the bookmark (comparison is >=).
      const truth = sim.truth()[stream];
      const resent = truth
        .filter(
          (r) => bookmarks[stream] && r.updated_at && Date.parse(r.updated_at) === Date.parse(bookmarks[stream].replication_key_value!),
        )
        .map((r) => r.id);
      const expected = FULL_TABLE.includes(stream) ? truthIds(sim, stream) : sortedIds(new Set([...(changed[stream] ?? []), ...resent]));
      expect(sortedIds(emitted[stream]), stream).to.deep.equal(expected);
    }
    for (const stream of SERVER_FILTERED) {
      const endpoint = stats.endpoints[stream as StreamName]!;
      expect(endpoint.requests, stream).to.be.within(1, 2);
      expect(endpoint.values.since_updated_at, stream).to.deep.equal([
        new Date(Date.parse(bookmarks[stream]!.replication_key_value!)).toISOString(),
      ]);
    }
    // The others cannot be filtered by the API: every page is read again, only changed records emitted.
    expect(stats.endpoints.customers!.values.since_updated_at).to.deep.equal([]);
  });

  it('picks up records changed during a sync in the next run (the bookmark stops at the sync start)', async () => {
    const slow = await startSimulator({ records: 2000, seed: SEED + 1, rpm: 0, latencyMs: 20 });
    try {
      const config = tempJson('config.json', {
        api_key: slow.apiKey,
        base_url: slow.baseUrl,
        requests_per_minute: 100_000,
        max_concurrency: 2,
      });
      const tickets = catalog((c, root) => {
        c.streams.forEach((s) => (root(s.stream).selected = s.stream === 'tickets'));
      });
      let behind: number | undefined;
      let ahead: number | undefined;
      const run1 = await runTap(['--config', config, '--catalog', tickets], {
        onLine: (line) => {
          if (behind !== undefined || !line.includes('"type":"RECORD"')) return;
          // Page 1 is read: change its first ticket, which this walk has passed, then the last one, which
          // it will read with a newer updated_at. Only a bookmark capped at the sync start keeps the first.
          const ids = slow.truth().tickets.map((r) => r.id);
          behind = slow.mutate({ stream: 'tickets', update: [ids[0]!] }).updated[0];
          ahead = slow.mutate({ stream: 'tickets', update: [ids.at(-1)!] }).updated[0];
        },
      });
      expect(run1.code, run1.stderr).to.equal(0);
      expect(behind).to.be.a('number');
      expect(idsByStream(run1.messages).tickets).to.include(ahead);
      const run2 = await runTap(['--config', config, '--catalog', tickets, '--state', tempJson('s.json', lastState(run1))]);
      expect(run2.code, run2.stderr).to.equal(0);
      expect(idsByStream(run2.messages).tickets).to.include(behind);
    } finally {
      await slow.close();
    }
  });

  it('starts from start_date on a first run, and from the later of bookmark and start_date after', async () => {
    const updatedAt = sim
      .truth()
      .leads.map((r) => Date.parse(r.updated_at!))
      .sort((a, b) => a - b);
    const startDate = new Date(updatedAt[Math.floor(updatedAt.length / 2)]!).toISOString();
    const config = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      requests_per_minute: 100_000,
      start_date: startDate,
    });
    const only = catalog((c, root) => {
      c.streams.forEach((s) => (root(s.stream).selected = s.stream === 'leads'));
    });
    const run = await runTap(['--config', config, '--catalog', only]);
    expect(run.code, run.stderr).to.equal(0);
    const expected = sim
      .truth()
      .leads.filter((r) => Date.parse(r.updated_at!) >= Date.parse(startDate))
      .map((r) => r.id);
    expect(sortedIds(idsByStream(run.messages).leads)).to.deep.equal(sortedIds(expected));
    const old = tempJson('state.json', {
      bookmarks: { leads: { replication_key: 'updated_at', replication_key_value: '2000-01-01T00:00:00Z' } },
    });
    const withOldBookmark = await runTap(['--config', config, '--catalog', only, '--state', old]);
    expect(sortedIds(idsByStream(withOldBookmark.messages).leads)).to.deep.equal(sortedIds(expected));
  });

  it('honours FULL_TABLE chosen in the catalog: every ticket, no since_updated_at', async () => {
    const fullTickets = catalog((c, root) => {
      c.streams.forEach((s) => {
        root(s.stream).selected = s.stream === 'tickets';
        if (s.stream === 'tickets') root(s.stream)['replication-method'] = 'FULL_TABLE';
      });
    });
    sim.resetStats();
    const run = await runTap(['--config', configFile, '--catalog', fullTickets, '--state', tempJson('s.json', lastState(first))]);
    expect(run.code, run.stderr).to.equal(0);
    expect(sortedIds(idsByStream(run.messages).tickets)).to.deep.equal(truthIds(sim, 'tickets'));
    expect(sim.stats().endpoints.tickets!.values.since_updated_at).to.deep.equal([]);
  });

  for (const killAfter of [1, 300, 1200]) {
    it(`loses no record when killed with SIGKILL after ${killAfter} records and resumed from its last STATE`, async () => {
      const slow = await startSimulator({ records: 2000, seed: SEED + killAfter, rpm: 0, latencyMs: 30 });
      try {
        const config = tempJson('config.json', { api_key: slow.apiKey, base_url: slow.baseUrl, requests_per_minute: 100_000 });
        let seen = 0;
        const killed = await runTap(['--config', config], {
          onLine: (line, child) => {
            if (line.includes('"type":"RECORD"') && ++seen === killAfter) child.kill('SIGKILL');
          },
        });
        expect(killed.signal).to.equal('SIGKILL');
        const states = killed.messages.filter((m) => m.type === 'STATE');
        const resumeArgs = states.length ? ['--state', tempJson('s.json', states.at(-1)!.value)] : [];
        const resumed = await runTap(['--config', config, ...resumeArgs]);
        expect(resumed.code, resumed.stderr).to.equal(0);
        const union = idsByStream([...killed.messages, ...resumed.messages]);
        for (const stream of LIST_STREAMS) expect(sortedIds(new Set(union[stream])), stream).to.deep.equal(truthIds(slow, stream));
      } finally {
        await slow.close();
      }
    });
  }

  it('ends with the STATE covering all it wrote when stopped with SIGTERM part-way, 20 runs in a row; each resume completes the data', async () => {
    // 15 ms answers and 100-record pages from 16 streams: pages are in flight when the signal comes.
    const slow = await startSimulator({ records: 6000, seed: SEED, rpm: 0, latencyMs: 15 });
    try {
      const config = tempJson('config.json', { api_key: slow.apiKey, base_url: slow.baseUrl, requests_per_minute: 100_000 });
      for (let i = 0; i < 20; i++) {
        let records = 0;
        const killed = await runTap(['--config', config], {
          onLine: (line, child) => {
            if (line.includes('"type":"RECORD"') && ++records === 3000) child.kill('SIGTERM');
          },
        });
        expect(killed.code, `run ${i}`).to.equal(143);
        const lines = killed.stdout.split('\n').filter(Boolean);
        const last = JSON.parse(lines.at(-1)!) as { type: string; value: unknown };
        expect(last.type, `run ${i}: the last line`).to.equal('STATE');
        expect(last.value).to.have.property('bookmarks').that.is.an('object');
        if (i % 5 !== 0) continue; // resumed on a quarter of the runs: each resume is a full second sync
        const resumed = await runTap(['--config', config, '--state', tempJson('s.json', last.value)]);
        expect(resumed.code, resumed.stderr).to.equal(0);
        const union = idsByStream([...killed.messages, ...resumed.messages]);
        for (const stream of LIST_STREAMS)
          expect(sortedIds(new Set(union[stream])), `run ${i} ${stream}`).to.deep.equal(truthIds(slow, stream));
      }
    } finally {
      await slow.close();
    }
  });

  it('walks again when records deleted during the walk shift others onto pages already read (total_entries known)', async () => {
    const moving = await startSimulator({ seed: SEED, rpm: 0, latencyMs: 15, counts: { contacts: 1000 }, records: 0 });
    try {
      const config = tempJson('config.json', {
        api_key: moving.apiKey,
        base_url: moving.baseUrl,
        requests_per_minute: 100_000,
        max_concurrency: 2,
      });
      const contacts = catalog((c, root) => {
        c.streams.forEach((s) => (root(s.stream).selected = s.stream === 'contacts'));
      });
      let deleted: number[] = [];
      const run = await runTap(['--config', config, '--catalog', contacts], {
        onLine: (line) => {
          if (deleted.length === 0 && line.includes('"type":"RECORD"')) {
            // Page 1 is read: delete two of its records; every later record moves two places forward.
            const ids = moving.truth().contacts.map((r) => r.id);
            deleted = moving.mutate({ stream: 'contacts', delete: [ids[0]!, ids[1]!] }).deleted;
          }
        },
      });
      expect(run.code, run.stderr).to.equal(0);
      expect(deleted).to.have.length(2);
      expect(run.stderr).to.include('walking once more');
      const emitted = new Set(idsByStream(run.messages).contacts);
      for (const id of truthIds(moving, 'contacts')) expect(emitted.has(id), `contact ${id}`).to.equal(true);
    } finally {
      await moving.close();
    }
  });

  describe('ACTIVATE_VERSION', () => {
    const versionMessages = (run: TapRun) => run.messages.filter((m) => m.type === 'ACTIVATE_VERSION');

    it('is absent unless activate_version is set', () => {
      expect(versionMessages(first)).to.deep.equal([]);
      expect(first.messages.some((m) => m.type === 'RECORD' && 'version' in m)).to.equal(false);
    });

    it('frames full-table streams only, at start on a first sync and at the end, with the version on every RECORD', async () => {
      const config = tempJson('config.json', {
        api_key: sim.apiKey,
        base_url: sim.baseUrl,
        requests_per_minute: 100_000,
        activate_version: true,
      });
      const run = await runTap(['--config', config]);
      expect(run.code, run.stderr).to.equal(0);
      const activations = versionMessages(run);
      expect([...new Set(activations.map((m) => m.stream))].sort()).to.deep.equal([...FULL_TABLE].sort());
      expect(activations).to.have.length(2 * FULL_TABLE.length);
      const version = activations[0]!.version as number;
      expect(Number.isInteger(version)).to.equal(true);
      for (const stream of FULL_TABLE) {
        const messages = run.messages.filter((m) => m.stream === stream);
        expect(messages[1]!.type, `${stream}: right after SCHEMA`).to.equal('ACTIVATE_VERSION');
        expect(messages.at(-1)!.type, stream).to.equal('ACTIVATE_VERSION');
        for (const m of messages.filter((x) => x.type !== 'SCHEMA')) expect(m.version, stream).to.equal(version);
      }
      for (const m of run.messages.filter((x) => x.type === 'RECORD' && !FULL_TABLE.includes(x.stream!)))
        expect(m).not.to.have.property('version');

      const again = await runTap(['--config', config, '--state', tempJson('s.json', lastState(run))]);
      const later = versionMessages(again);
      expect(later, 'only at the end once the table exists').to.have.length(FULL_TABLE.length);
      for (const stream of FULL_TABLE)
        expect(again.messages.filter((m) => m.stream === stream).at(-1)!.type, stream).to.equal('ACTIVATE_VERSION');
    });
  });

  describe('ticket_comments', () => {
    const withComments = () =>
      catalog((c, root) => {
        c.streams.forEach((s) => (root(s.stream).selected = s.stream === 'tickets' || s.stream === 'ticket_comments'));
      });

    function commentsByTicket(messages: SingerMessage[]): Map<number, number[]> {
      const by = new Map<number, number[]>();
      for (const m of messages) {
        if (m.type !== 'RECORD' || m.stream !== 'ticket_comments') continue;
        const ticket = m.record!.ticket_id as number;
        by.set(ticket, [...(by.get(ticket) ?? []), m.record!.id as number]);
      }
      return by;
    }

    it('is not selected by default', () => {
      expect(first.messages.some((m) => m.stream === 'ticket_comments')).to.equal(false);
    });

    it('holds every comment of every emitted ticket, and only for the tickets an incremental run emits', async () => {
      const full = await runTap(['--config', configFile, '--catalog', withComments()]);
      expect(full.code, full.stderr).to.equal(0);
      const tickets = idsByStream(full.messages).tickets!;
      const byTicket = commentsByTicket(full.messages);
      for (const id of tickets) expect(byTicket.get(id)?.length ?? 0, `ticket ${id}`).to.equal(sim.children('ticket_comments', id).length);
      const all = [...byTicket.values()].flat();
      expect(new Set(all).size).to.equal(all.length);
      expect(full.messages.filter((m) => m.type === 'SCHEMA' && m.stream === 'ticket_comments')).to.have.length(1);

      const changed = sim.mutate({ stream: 'tickets', update: 4 }).updated;
      sim.resetStats();
      const next = await runTap(['--config', configFile, '--catalog', withComments(), '--state', tempJson('s.json', lastState(full))]);
      expect(next.code, next.stderr).to.equal(0);
      const emittedTickets = idsByStream(next.messages).tickets!;
      expect(emittedTickets).to.include.members(changed);
      expect([...commentsByTicket(next.messages).keys()].every((t) => emittedTickets.includes(t))).to.equal(true);
      expect(sim.stats().endpoints.ticket_comments!.requests).to.equal(emittedTickets.length);
      // An update of a ticket is a comment added to it (the simulator's, as the API's): the new one came.
      for (const id of changed)
        expect(commentsByTicket(next.messages).get(id), `ticket ${id}`).to.deep.equal(sim.children('ticket_comments', id).map((c) => c.id));
    });

    it('walks tickets without emitting them when only ticket_comments is selected', async () => {
      const onlyComments = catalog((c, root) => {
        c.streams.forEach((s) => (root(s.stream).selected = s.stream === 'ticket_comments'));
      });
      const run = await runTap(['--config', configFile, '--catalog', onlyComments]);
      expect(run.code, run.stderr).to.equal(0);
      expect(run.messages.some((m) => m.stream === 'tickets')).to.equal(false);
      expect(commentsByTicket(run.messages).size).to.be.greaterThan(0);
      // No ticket was emitted: a tickets bookmark would make a later sync of tickets skip them.
      expect(lastState(run).bookmarks).not.to.have.property('tickets');
    });
  });
});
