/**
 * The sync's phases and decisions, with a fake HTTP client serving pages from memory: what is written in
 * which order, where bookmarks land, and what an error does to a stream and to the run.
 */
import { expect } from 'chai';
import { Writable } from 'node:stream';
import { discover, selectStreams, type Catalog } from '../../src/protocol/catalog.js';
import { TapError } from '../../src/errors.js';
import { ApiError, type BodyCheck, type HttpClient, type Params, type RequestContext } from '../../src/api/http.js';
import { testLog } from '../helpers/capture-log.js';
import { PagePool } from '../../src/sync/page-pool.js';
import { syncMode, TEST_MODE, type RunMode } from '../../src/sync/run-mode.js';
import { resolveSettings } from '../../src/command/settings.js';
import { stateKeeper, type TapState } from '../../src/protocol/state.js';
import { runSync } from '../../src/sync/sync.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import { AIRBYTE, type Protocol } from '../../src/protocol/messages.js';

type Body = Record<string, unknown>;
type Served = Body | ApiError;

/** A client that answers GETs from a table of path → pages (page n is index n - 1) and counts them. */
function fakeClient(pages: Record<string, Served[]>) {
  const requests: string[] = [];
  /** The since_updated_at each list request asked, by path and page. */
  const since: string[] = [];
  const client: Pick<HttpClient, 'get'> = {
    async get<T>(path: string, params: Params, _context: RequestContext, check: BodyCheck<T>): Promise<T> {
      const page = Number(params.page ?? 1);
      requests.push(`${path} ${page}`);
      if (params.since_updated_at !== undefined) since.push(`${path} ${page} ${String(params.since_updated_at)}`);
      // Past the pages given: an empty page under the array key, which is the path's last segment here.
      const served = pages[path]?.[page - 1] ?? { [path.split('/').at(-1)!]: [] };
      if (served instanceof ApiError) throw served;
      const checked = await check(Buffer.from(JSON.stringify(served)));
      if (!checked.ok) throw new ApiError(checked.retry ? 'exhausted' : 'unreadable', checked.reason);
      return checked.value;
    },
  };
  return { client, requests, since };
}

/** The streams of a catalog that selects only `names` (all their fields). */
function only(...names: string[]) {
  const catalog: Catalog = structuredClone(discover());
  for (const entry of catalog.streams) entry.metadata[0]!.metadata.selected = names.includes(entry.stream);
  return selectStreams(catalog);
}

interface Run {
  messages: Body[];
  logs: string[];
  state: TapState;
  error?: unknown;
}

async function sync(
  pages: Record<string, Served[]>,
  streams: ReturnType<typeof only>,
  options: { state?: TapState; settings?: Body; mode?: RunMode; startedAt?: Date; protocol?: Protocol } = {},
): Promise<Run & { requests: string[]; since: string[] }> {
  const { client, requests, since } = fakeClient(pages);
  let out = '';
  const stdout = new Writable({
    write: (chunk: Buffer, _e, done) => {
      out += chunk.toString();
      done();
    },
  });
  const settings = resolveSettings({ api_key: 'k', base_url: 'http://127.0.0.1:1/api/v1', ...options.settings });
  const state = stateKeeper(options.state ?? { bookmarks: {} });
  const { log, lines: logs } = testLog();
  const pool = new PagePool(0);
  let error: unknown;
  try {
    await runSync({
      client,
      writer: new MessageWriter(stdout, options.protocol),
      streams,
      settings,
      state,
      pool,
      mode: options.mode,
      startedAt: options.startedAt,
      log,
    });
  } catch (e) {
    error = e;
  } finally {
    await pool.close();
  }
  const messages = out
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Body);
  return { messages, logs, state: state.value, error, requests, since };
}

const kinds = (run: Run) => run.messages.map((m) => `${m.type as string}${m.stream ? ` ${m.stream as string}` : ''}`);
const lead = (id: number, updatedAt: string) => ({ id, updated_at: updatedAt });

describe('sync: the phases of a stream run', () => {
  it('writes SCHEMA, the records in page order, then STATE after the stream and once more at the end', async () => {
    const run = await sync(
      {
        '/leads': [
          { leads: [lead(1, '2024-01-01T00:00:00Z'), lead(2, '2024-01-03T00:00:00Z')], meta: { total_pages: 2 } },
          { leads: [lead(3, '2024-01-02T00:00:00Z')], meta: { total_pages: 2 } },
        ],
      },
      only('leads'),
    );
    expect(run.error).to.equal(undefined);
    expect(kinds(run)).to.deep.equal(['SCHEMA leads', 'RECORD leads', 'RECORD leads', 'RECORD leads', 'STATE', 'STATE']);
    expect(run.messages.filter((m) => m.type === 'RECORD').map((m) => (m.record as Body).id)).to.deep.equal([1, 2, 3]);
    expect(run.messages[0]).to.include({ stream: 'leads' }).and.to.have.deep.property('bookmark_properties', ['updated_at']);
  });

  it('moves the bookmark to the newest updated_at seen, never past the sync’s start', async () => {
    const pages = { '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z'), lead(2, '2024-05-01T00:00:00Z')] }] };
    const before = await sync(pages, only('leads'), { startedAt: new Date('2025-01-01T00:00:00Z') });
    expect(before.state.bookmarks.leads).to.deep.include({
      replication_key: 'updated_at',
      replication_key_value: '2024-05-01T00:00:00.000Z',
    });
    const capped = await sync(pages, only('leads'), { startedAt: new Date('2024-03-01T00:00:00Z') });
    expect(capped.state.bookmarks.leads!.replication_key_value).to.equal('2024-03-01T00:00:00.000Z');
  });

  it('emits only records at or after the bookmark (the later of it and start_date), and keeps the bookmark when none is newer', async () => {
    const pages = {
      '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z'), lead(2, '2024-02-01T00:00:00Z'), lead(3, '2024-03-01T00:00:00Z')] }],
    };
    const state = { bookmarks: { leads: { replication_key: 'updated_at', replication_key_value: '2024-02-01T00:00:00.000Z' } } };
    const run = await sync(pages, only('leads'), { state, settings: { start_date: '2024-01-15T00:00:00Z' } });
    expect(run.messages.filter((m) => m.type === 'RECORD').map((m) => (m.record as Body).id)).to.deep.equal([2, 3]);
    const later = await sync(pages, only('leads'), { state, settings: { start_date: '2024-06-01T00:00:00Z' } });
    expect(later.messages.filter((m) => m.type === 'RECORD')).to.deep.equal([]);
    expect(later.state.bookmarks.leads!.replication_key_value).to.equal('2024-06-01T00:00:00.000Z');
  });

  it('frames a full-table stream with ACTIVATE_VERSION (also before, on its first sync) and records the version', async () => {
    const pages = { '/products': [{ products: [{ id: 7 }] }] };
    const startedAt = new Date('2026-01-01T00:00:00Z');
    const first = await sync(pages, only('products'), { settings: { activate_version: true }, startedAt });
    expect(kinds(first)).to.deep.equal([
      'SCHEMA products',
      'ACTIVATE_VERSION products',
      'RECORD products',
      'ACTIVATE_VERSION products',
      'STATE',
      'STATE',
    ]);
    expect(first.messages[2]).to.include({ version: startedAt.getTime() });
    expect(first.state.bookmarks.products).to.deep.equal({ version: startedAt.getTime() });
    const next = await sync(pages, only('products'), { settings: { activate_version: true }, startedAt, state: first.state });
    expect(kinds(next)).to.deep.equal(['SCHEMA products', 'RECORD products', 'ACTIVATE_VERSION products', 'STATE', 'STATE']);
  });

  it('walks once more when the API announced more records than the walk saw, and says so', async () => {
    const pages = {
      '/contacts': [
        { contacts: [{ id: 1 }, { id: 2 }], meta: { total_pages: 2, total_entries: 4 } },
        { contacts: [{ id: 4 }], meta: { total_pages: 2, total_entries: 4 } },
      ],
    };
    const run = await sync(pages, only('contacts'));
    expect(run.requests).to.deep.equal(['/contacts 1', '/contacts 2', '/contacts 1', '/contacts 2']);
    expect(run.logs.filter((l) => l.startsWith('WARNING'))).to.have.length(2);
    expect(run.logs.some((l) => l.includes('"metric":"records_missing","value":1'))).to.equal(true);
    expect(run.messages.filter((m) => m.type === 'RECORD')).to.have.length(3); // no id emitted twice
  });

  it('in --test mode stops at one record per stream, reads page by page, and writes no STATE', async () => {
    const pages = { '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z'), lead(2, '2024-01-02T00:00:00Z')], meta: { total_pages: 3 } }] };
    const run = await sync(pages, only('leads'), { mode: TEST_MODE });
    expect(kinds(run)).to.deep.equal(['SCHEMA leads', 'RECORD leads']);
    expect(run.requests).to.deep.equal(['/leads 1']);
    expect(run.state.bookmarks).to.deep.equal({});
  });

  it('walks a deselected parent for its selected children without emitting it or moving its bookmark; the child keeps its own', async () => {
    const pages = {
      '/tickets': [{ tickets: [lead(10, '2024-01-01T00:00:00Z'), lead(11, '2024-01-02T00:00:00Z')] }],
      '/tickets/10/comments': [{ comments: [{ id: 100 }] }],
      '/tickets/11/comments': [{ comments: [{ id: 110 }, { id: 111 }] }],
    };
    const run = await sync(pages, only('ticket_comments'));
    expect(kinds(run)).to.deep.equal([
      'SCHEMA ticket_comments',
      'RECORD ticket_comments',
      'RECORD ticket_comments',
      'RECORD ticket_comments',
      'STATE',
      'STATE',
    ]);
    // A child's SCHEMA names no bookmark property: its bookmark is its parent's updated_at.
    expect(run.messages[0]).to.include({ type: 'SCHEMA', stream: 'ticket_comments' }).and.not.to.have.property('bookmark_properties');
    // The child's bookmark: its parent's updated_at reached, named as such; the parent has none.
    expect(run.state.bookmarks).to.deep.equal({
      ticket_comments: { replication_key: 'tickets.updated_at', replication_key_value: '2024-01-02T00:00:00.000Z' },
    });
  });
});

describe('sync: a parent and the lists under its records, each settling on its own', () => {
  const recent = new Date(Date.now() - 86_400_000).toISOString();
  const tickets = {
    '/tickets': [{ tickets: [lead(10, '2024-01-10T00:00:00Z'), lead(11, '2024-02-10T00:00:00Z'), lead(12, '2024-03-10T00:00:00Z')] }],
  };
  const comments = (id: number) => ({ [`/tickets/${id}/comments`]: [{ comments: [{ id: id * 10 }] }] });
  const childBookmark = (value: string, extra: Body = {}) => ({
    replication_key: 'tickets.updated_at',
    replication_key_value: value,
    ...extra,
  });

  it('walks the parent from the earliest bookmark of itself and its children; the parent emits only what changed since its own', async () => {
    const state = {
      bookmarks: {
        // Swept for deletions recently (a whole walk of tickets is not due).
        tickets: { replication_key: 'updated_at', replication_key_value: '2024-03-01T00:00:00.000Z', swept_at: recent },
        ticket_comments: childBookmark('2024-02-01T00:00:00.000Z'),
      },
    };
    const run = await sync({ ...tickets, ...comments(11), ...comments(12) }, only('tickets', 'ticket_comments'), { state });
    expect(run.error).to.equal(undefined);
    expect(run.since[0]).to.equal('/tickets 1 2024-02-01T00:00:00.000Z');
    const written = (stream: string) =>
      run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => (m.record as Body).id);
    expect(written('tickets')).to.deep.equal([12]);
    expect(written('ticket_comments')).to.deep.equal([110, 120]);
    // Under tickets 11 and 12 only (the fake pages carry no meta: each list ends at an empty page 2).
    expect(run.requests.filter((r) => r.includes('comments') && r.endsWith(' 1'))).to.deep.equal([
      '/tickets/11/comments 1',
      '/tickets/12/comments 1',
    ]);
    expect(run.state.bookmarks.ticket_comments).to.deep.equal(childBookmark('2024-03-10T00:00:00.000Z'));
    expect(run.state.bookmarks.tickets!.replication_key_value).to.equal('2024-03-10T00:00:00.000Z');
  });

  it('a child whose endpoint keeps failing (HTTP 500 to the end) fails alone: the parent completes and moves its bookmark, the child keeps its own', async () => {
    const failing = new ApiError('exhausted', 'stream ticket_worksheet_results, GET /tickets/11/worksheet_results page 1: HTTP 500', 500);
    const state = {
      bookmarks: {
        tickets: { replication_key: 'updated_at', replication_key_value: '2024-02-01T00:00:00.000Z' },
        ticket_worksheet_results: childBookmark('2024-02-01T00:00:00.000Z', { swept_at: recent }),
        ticket_comments: childBookmark('2024-02-01T00:00:00.000Z'),
      },
    };
    const pages = { ...tickets, ...comments(11), ...comments(12), '/tickets/11/worksheet_results': [failing] };
    const run = await sync(pages, only('tickets', 'ticket_comments', 'ticket_worksheet_results'), { state });
    expect(run.error).to.be.instanceOf(TapError);
    expect((run.error as Error).message).to.match(/^1 stream\(s\) failed: ticket_worksheet_results \(/);
    const error = run.logs.find((l) => l.startsWith('ERROR'))!;
    expect(error)
      .to.include('GET /tickets/{id}/worksheet_results')
      .and.include('Tickets - View Details')
      .and.include('tickets and the other streams go on');
    expect(run.messages.filter((m) => m.type === 'RECORD' && m.stream === 'tickets')).to.have.length(2);
    expect(run.state.bookmarks.tickets!.replication_key_value).to.equal('2024-03-10T00:00:00.000Z');
    expect(run.state.bookmarks.ticket_comments).to.deep.equal(childBookmark('2024-03-10T00:00:00.000Z'));
    expect(run.state.bookmarks.ticket_worksheet_results).to.deep.equal(state.bookmarks.ticket_worksheet_results);
  });

  it('the parent’s error ends its children too, and no bookmark moves', async () => {
    const pages = { '/tickets': [new ApiError('exhausted', 'stream tickets, GET /tickets page 1: HTTP 503', 503)] };
    const run = await sync(pages, only('tickets', 'ticket_comments'));
    expect((run.error as Error).message).to.match(/^2 stream\(s\) failed: tickets \(.*\); ticket_comments \(its parent tickets: /);
    expect(run.state.bookmarks).to.deep.equal({});
  });

  it('a parent walked only for a child stops walking once the child has ended (skipped on a 401), and walks no second time', async () => {
    const customers = Array.from({ length: 40 }, (_, i) => ({
      customers: [lead(i + 1, '2024-01-01T00:00:00Z')],
      meta: { total_pages: 40, total_entries: 41 },
    }));
    const refused = new ApiError('unauthorized', 'stream customer_phones, GET /customers/1/phones page 1: HTTP 401', 401);
    const pages = { '/customers': customers, ...Object.fromEntries(customers.map((_, i) => [`/customers/${i + 1}/phones`, [refused]])) };
    const run = await sync(pages, only('customer_phones'));
    expect(run.error).to.equal(undefined);
    expect(run.logs.some((l) => l.startsWith('WARNING stream customer_phones skipped'))).to.equal(true);
    // Pages fetched ahead before the child ended are the most that is asked: never the 40 pages, nor twice.
    expect(run.requests.filter((r) => r.startsWith('/customers ')).length).to.be.below(25);
    expect(run.state.bookmarks).to.deep.equal({});
  });

  it('a parent’s error is not a child’s that had nothing to read this run (product_serials between sweeps)', async () => {
    const pages = { '/products': [new ApiError('exhausted', 'stream products, GET /products page 1: HTTP 503', 503)] };
    const bookmark = { swept_at: recent };
    const run = await sync(pages, only('products', 'product_serials'), { state: { bookmarks: { product_serials: bookmark } } });
    expect((run.error as Error).message).to.match(/^1 stream\(s\) failed: products \(/);
    expect(run.state.bookmarks.product_serials).to.deep.equal(bookmark);
  });

  it('a walk that comes up short of what the API announced is no whole read: no ACTIVATE_VERSION, and the sweep is not done', async () => {
    const pages = {
      '/customers': [
        { customers: [lead(1, '2024-01-01T00:00:00Z'), lead(2, '2024-01-02T00:00:00Z')], meta: { total_pages: 1, total_entries: 3 } },
      ],
      '/customers/1/phones': [{ phones: [{ id: 10 }] }],
      '/customers/2/phones': [{ phones: [{ id: 20 }] }],
    };
    const run = await sync(pages, only('customer_phones'), { settings: { activate_version: true } });
    expect(run.error).to.equal(undefined);
    const versions = run.messages.filter((m) => m.type === 'ACTIVATE_VERSION');
    // Only the one before the first records (the child's first sync): none after the short walk.
    expect(versions).to.have.length(1);
    expect(run.messages.indexOf(versions[0]!)).to.be.below(run.messages.findIndex((m) => m.type === 'RECORD'));
    expect(run.state.bookmarks.customer_phones).not.to.have.property('swept_at');
    expect(run.state.bookmarks.customer_phones).not.to.have.property('version');
  });

  it('Airbyte: a STATE for each stream the run writes, never one for a parent only walked', async () => {
    const run = await sync({ ...tickets, ...comments(10), ...comments(11), ...comments(12) }, only('ticket_comments'), {
      protocol: AIRBYTE,
    });
    expect(run.error).to.equal(undefined);
    const states = run.messages
      .filter((m) => m.type === 'STATE')
      .map((m) => (m.state as { stream: { stream_descriptor: { name: string } } }).stream);
    expect(states.length).to.be.greaterThan(0);
    expect(new Set(states.map((s) => s.stream_descriptor.name))).to.deep.equal(new Set(['ticket_comments']));
  });

  it('a sweep child not due, whose parent cannot say what changed (product_serials), asks nothing and keeps its bookmark', async () => {
    const bookmark = { swept_at: recent, version: 7 };
    const run = await sync({}, only('product_serials'), { state: { bookmarks: { product_serials: bookmark } } });
    expect(run.error).to.equal(undefined);
    expect(run.requests).to.deep.equal([]);
    expect(run.state.bookmarks.product_serials).to.deep.equal(bookmark);
  });
});

describe('sync: a list that only names its records (users)', () => {
  const user = (id: number, updatedAt: string) => ({
    user: { id, full_name: `U${id}`, email: `u${id}@example.com`, updated_at: updatedAt },
  });
  const pages = {
    '/users': [
      {
        users: [
          [1, 'U1'],
          [2, 'U2'],
          [3, 'U3'],
        ],
      },
    ],
    '/users/1': [user(1, '2024-01-01T00:00:00Z')],
    '/users/2': [new ApiError('not_found', 'stream users, GET /users/2: HTTP 404 (Not found)', 404)],
    '/users/3': [user(3, '2024-03-01T00:00:00Z')],
  };

  it('reads each record from its detail, in list order; a refused detail is the list’s pair, said once', async () => {
    const run = await sync(pages, only('users'));
    expect(run.error).to.equal(undefined);
    expect(run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record)).to.deep.equal([
      { id: 1, full_name: 'U1', email: 'u1@example.com', updated_at: '2024-01-01T00:00:00Z' },
      { id: 2, full_name: 'U2' },
      { id: 3, full_name: 'U3', email: 'u3@example.com', updated_at: '2024-03-01T00:00:00Z' },
    ]);
    expect(run.logs.filter((l) => l.startsWith('WARNING'))).to.have.length(1);
    expect(run.state.bookmarks.users!.replication_key_value).to.equal('2024-03-01T00:00:00.000Z');
  });

  it('emits only the details updated since the bookmark, though every detail is read', async () => {
    const state = { bookmarks: { users: { replication_key: 'updated_at', replication_key_value: '2024-02-01T00:00:00.000Z' } } };
    const run = await sync(pages, only('users'), { state });
    expect(run.messages.filter((m) => m.type === 'RECORD').map((m) => (m.record as Body).id)).to.deep.equal([2, 3]);
    expect(run.requests).to.include.members(['/users/1 1', '/users/2 1', '/users/3 1']);
  });
});

describe('sync: what an error means', () => {
  it('skips a stream whose first page answers 401, naming the permission, and syncs the others', async () => {
    const pages = {
      '/line_items': [new ApiError('unauthorized', 'HTTP 401', 401, 'Not authorized')],
      '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z')] }],
    };
    const run = await sync(pages, only('line_items', 'leads'));
    expect(run.error).to.equal(undefined);
    expect(run.logs.filter((l) => l.startsWith('WARNING'))[0]).to.match(
      /stream line_items skipped: .*HTTP 401 \(this stream needs Global Admin\)/,
    );
    expect(kinds(run)).to.include('RECORD leads');
    expect(run.state.bookmarks).to.have.property('leads').and.not.to.have.property('line_items');
  });

  it('fails a stream whose page cannot be read, goes on with the others, and ends the run with an error naming it', async () => {
    const pages = {
      '/contacts': [
        { contacts: [{ id: 1 }], meta: { total_pages: 2 } },
        new ApiError('exhausted', 'stream contacts, GET /contacts page 2: HTTP 503, still failing after 8 attempts'),
      ],
      '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z')] }],
    };
    const run = await sync(pages, only('contacts', 'leads'));
    expect(run.error).to.be.instanceOf(TapError);
    expect((run.error as Error).message).to.match(/^1 stream\(s\) failed: contacts \(stream contacts, GET \/contacts page 2: HTTP 503/);
    expect(run.logs.some((l) => l.startsWith('ERROR stream contacts'))).to.equal(true);
    expect(run.state.bookmarks).to.have.property('leads').and.not.to.have.property('contacts');
    expect(kinds(run).at(-1)).to.equal('STATE');
  });

  it('fails a stream whose body holds no record array, pointing at base_url', async () => {
    const run = await sync({ '/leads': [{ error: 'nope' }] }, only('leads'));
    expect((run.error as Error).message).to.match(/leads .*a body without a "leads" array; check that base_url points at the API root/);
  });

  it('lets an error that is not the API’s or the tap’s (a bug) end the run as it is', async () => {
    const broken: Pick<HttpClient, 'get'> = { get: () => Promise.reject(new RangeError('bug')) };
    const settings = resolveSettings({ api_key: 'k', base_url: 'http://127.0.0.1:1/api/v1' });
    const writer = new MessageWriter(
      new Writable({
        write: (_c, _e, done) => {
          done();
        },
      }),
    );
    const state = stateKeeper({ bookmarks: {} });
    const error = await runSync({
      client: broken,
      writer,
      streams: only('leads'),
      settings,
      state,
      pool: new PagePool(0),
      mode: syncMode(),
      log: testLog().log,
    }).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).to.be.instanceOf(RangeError);
  });
});

describe('sync: deleted records, from the ids whole walks list', () => {
  const leads = (...ids: number[]) => ({ '/leads': [{ leads: ids.map((id) => lead(id, '2024-01-01T00:00:00Z')) }] });
  const records = (run: Run) => run.messages.filter((m) => m.type === 'RECORD').map((m) => m.record as Body);
  const tombstones = (run: Run) => records(run).filter((r) => r._sdc_deleted_at !== undefined);

  /** Runs one sync after another, each from the last one's state. */
  async function runs(
    walks: number[][],
    options: { settings?: Body; protocol?: Protocol; state?: TapState; streams?: ReturnType<typeof only> } = {},
  ) {
    const done: Run[] = [];
    let state: TapState = options.state ?? { bookmarks: {} };
    for (const ids of walks) {
      const run = await sync(leads(...ids), options.streams ?? only('leads'), { ...options, state });
      expect(run.error).to.equal(undefined);
      done.push(run);
      state = run.state;
    }
    return done;
  }

  it('an id two whole walks in a row did not list: a tombstone of its key and _sdc_deleted_at, the SCHEMA declaring it', async () => {
    const [first, second, third, fourth] = await runs([
      [1, 2, 3, 4],
      [1, 3, 4],
      [1, 3],
      [1, 3],
    ]);
    expect(first!.state.bookmarks.leads).to.deep.include({ known_ids: '1.3', missed_ids: '' });
    // One miss proves nothing (records move between pages during a walk): noted, no tombstone.
    expect(tombstones(second!)).to.deep.equal([]);
    expect(second!.state.bookmarks.leads).to.deep.include({ known_ids: '1.3', missed_ids: '2' });
    const [tombstone] = tombstones(third!);
    expect(Object.keys(tombstone!)).to.deep.equal(['id', '_sdc_deleted_at']);
    expect(tombstone!.id).to.equal(2);
    expect(Date.parse(tombstone!._sdc_deleted_at as string)).to.be.greaterThan(Date.now() - 60_000);
    expect(third!.state.bookmarks.leads).to.deep.include({ known_ids: '1,1.1', missed_ids: '4' });
    expect(tombstones(fourth!).map((r) => r.id)).to.deep.equal([4]);
    // The tombstone comes before the STATE that forgets its id; the SCHEMA declares its column.
    const kindsOf = kinds(third!);
    expect(kindsOf.lastIndexOf('RECORD leads')).to.be.lessThan(kindsOf.indexOf('STATE'));
    const schema = third!.messages[0]!.schema as { properties: Record<string, unknown> };
    expect(schema.properties._sdc_deleted_at).to.deep.equal({ type: ['null', 'string'], format: 'date-time' });
    expect(third!.logs.join('\n')).to.match(/stream leads: 1 record\(s\) deleted from the API/);
  });

  it('an id listed again after one miss is not gone; a state of the previous version (no ids) starts remembering, no tombstone', async () => {
    const [, , third] = await runs([
      [1, 2, 3],
      [1, 3],
      [1, 2, 3],
    ]);
    expect(third!.state.bookmarks.leads).to.deep.include({ known_ids: '1.2', missed_ids: '' });
    const old = { bookmarks: { leads: { replication_key: 'updated_at', replication_key_value: '2023-01-01T00:00:00.000Z' } } };
    const [resumed, next] = await runs([[1], [1]], { state: old });
    expect(tombstones(resumed!).concat(tombstones(next!))).to.deep.equal([]);
    expect(resumed!.state.bookmarks.leads).to.deep.include({ known_ids: '1', missed_ids: '' });
  });

  it('a walk that misses more than deletions_max_percent of the known ids: a WARNING, no tombstone, the ids kept', async () => {
    const all = Array.from({ length: 10 }, (_, i) => i + 1);
    const [, second, third] = await runs([all, [1, 2, 3, 4], [1, 2, 3, 4]]);
    for (const run of [second!, third!]) {
      expect(tombstones(run)).to.deep.equal([]);
      // Every id kept; the misses noted (5 to 10).
      expect(run.state.bookmarks.leads).to.deep.include({ known_ids: '1.9', missed_ids: '5.5' });
      expect(run.logs.join('\n')).to.match(/WARNING stream leads: the walk did not list 6 of the 10 records it held before/);
    }
    // A higher bound lets the next walk through: those missed by it and the walk before are gone.
    const through = await sync(leads(1, 2, 3, 4), only('leads'), { state: third!.state, settings: { deletions_max_percent: 100 } });
    expect(tombstones(through).map((r) => r.id)).to.deep.equal([5, 6, 7, 8, 9, 10]);
  });

  it('a walk cut short (a page that fails) finds nothing gone and forgets nothing', async () => {
    const [first] = await runs([[1, 2, 3]]);
    let state = first!.state;
    for (let i = 0; i < 2; i++) {
      const failing = {
        '/leads': [{ leads: [lead(1, '2024-01-01T00:00:00Z')], meta: { total_pages: 2 } }, new ApiError('exhausted', 'HTTP 500')],
      };
      const run = await sync(failing, only('leads'), { state });
      expect(tombstones(run)).to.deep.equal([]);
      expect(run.state.bookmarks.leads).to.deep.include({ known_ids: '1.2', missed_ids: '' });
      state = run.state;
    }
  });

  it('Airbyte: the tombstone carries _ab_cdc_deleted_at and the cursor at the same time (a dedup ranks it last)', async () => {
    // As Airbyte configures it: the catalog discover wrote, with _ab_cdc_deleted_at.
    const declared = only('leads').map((s) => ({
      ...s,
      schema: { ...s.schema, properties: { ...s.schema.properties, _ab_cdc_deleted_at: { type: ['null', 'string'] } } },
    }));
    const [, , third] = await runs([[1, 2], [1], [1]], { protocol: AIRBYTE, streams: declared });
    const data = third!.messages
      .filter((m) => m.type === 'RECORD')
      .map((m) => (m.record as Body).data as Body)
      .filter((d) => d._ab_cdc_deleted_at !== undefined);
    expect(data).to.have.length(1);
    expect(data[0]!.id).to.equal(2);
    expect(data[0]!.updated_at).to.equal(data[0]!._ab_cdc_deleted_at);
  });

  it('Airbyte with a configured catalog from before tombstones (no _ab_cdc_deleted_at): no id remembered, no tombstone', async () => {
    const [, , third] = await runs([[1, 2], [1], [1]], { protocol: AIRBYTE });
    const data = third!.messages.filter((m) => m.type === 'RECORD').map((m) => (m.record as Body).data as Body);
    expect(data.filter((d) => d._ab_cdc_deleted_at !== undefined)).to.deep.equal([]);
    const states = third!.messages.filter((m) => m.type === 'STATE');
    expect(JSON.stringify(states)).to.not.include('known_ids');
  });

  it('a walk cut off by its pages (a page repeating before total_pages) finds nothing gone and notes no miss', async () => {
    const page = (ids: number[]) => ({ leads: ids.map((id) => lead(id, '2024-01-01T00:00:00Z')), meta: { total_pages: 3 } });
    const whole = { '/leads': [page([1, 2]), page([3, 4]), page([5, 6])] };
    const cut = { '/leads': [page([1, 2]), page([3, 4]), page([3, 4])] };
    let state = (await sync(whole, only('leads'))).state;
    for (let i = 0; i < 2; i++) {
      const run = await sync(cut, only('leads'), { state });
      expect(tombstones(run)).to.deep.equal([]);
      expect(run.state.bookmarks.leads).to.deep.include({ known_ids: '1.5', missed_ids: '' });
      state = run.state;
    }
  });

  it('ids that would take the state past 8 MiB are not remembered, with a WARNING (the next run must read the state back)', async () => {
    const big = Array.from({ length: 3_000_000 }, (_, i) => (i * 7).toString(36))
      .join(',')
      .slice(0, 8.5 * 1024 * 1024);
    const state = { bookmarks: { customers: { known_ids: big.slice(0, big.lastIndexOf(',')), missed_ids: '' } } };
    const [run] = await runs([[1, 2]], { state });
    expect(run!.state.bookmarks.leads).to.not.have.any.keys('known_ids', 'missed_ids');
    expect(run!.logs.join('\n')).to.match(/WARNING stream leads: its ids \(\d+ bytes\) would take the ids in the state past 8 MiB/);
  });

  it('deletions false: no id remembered (and those remembered are dropped), no tombstone', async () => {
    const [first] = await runs([[1, 2]]);
    const [off, later] = await runs([[1], [1]], { settings: { deletions: false }, state: first!.state });
    for (const run of [off!, later!]) {
      expect(tombstones(run)).to.deep.equal([]);
      expect(run.state.bookmarks.leads).to.not.have.any.keys('known_ids', 'missed_ids');
    }
  });

  it('a swept child (customer_phones): ids gone from two sweeps in a row are tombstoned; reads under changed parents find none', async () => {
    const at = '2024-01-01T00:00:00Z';
    const pages = (phones: number[][]) => ({
      '/customers': [{ customers: phones.map((_, i) => lead(i + 1, at)) }],
      ...Object.fromEntries(phones.map((ids, i) => [`/customers/${i + 1}/phones`, [{ phones: ids.map((id) => lead(id, at)) }]])),
    });
    const every = { sweep_interval_days: 0 };
    let state: TapState = { bookmarks: {} };
    const walks = [
      [[10, 11], [20]],
      [[10], [20]],
      [[10], [20]],
    ];
    const runs: Run[] = [];
    for (const phones of walks) {
      const run = await sync(pages(phones), only('customers', 'customer_phones'), { state, settings: every });
      expect(run.error).to.equal(undefined);
      runs.push(run);
      state = run.state;
    }
    const phoneTombstones = (run: Run) =>
      run.messages
        .filter((m) => m.type === 'RECORD' && m.stream === 'customer_phones' && (m.record as Body)._sdc_deleted_at)
        .map((m) => (m.record as Body).id);
    expect(phoneTombstones(runs[1]!)).to.deep.equal([]);
    expect(phoneTombstones(runs[2]!)).to.deep.equal([11]);
    // Between sweeps (a week), under the customers that changed: nothing is found gone, whatever is missed.
    const between = await sync(pages([[], []]), only('customers', 'customer_phones'), { state });
    expect(phoneTombstones(between)).to.deep.equal([]);
    expect(between.state.bookmarks.customer_phones).to.deep.include({ known_ids: 'a,9', missed_ids: '' });
  });
});
