/**
 * The bundled API simulator over real HTTP (in-process, port 0): envelopes, paging, auth, filters, rate limit,
 * faults, admin API, determinism. node:assert is used rather than chai, whose package ships no types here.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv } from 'ajv';
import { default as addFormats } from 'ajv-formats';
import { ROOT } from '../../src/paths.js';
import { commentCount, recordFor } from '../../src/simulator/data.js';
import { ENDPOINTS, endpoint } from '../../src/simulator/endpoints.js';
import {
  startSimulator,
  STREAM_NAMES,
  type FaultKind,
  type MutationResult,
  type Simulator,
  type SimulatorOptions,
  type SimulatorStats,
  type StreamName,
} from '../../src/simulator/server.js';

type Obj = Record<string, unknown>;

interface Reply {
  status: number;
  headers: Headers;
  text: string;
  body: Obj;
}

/** What docs/api.md#list-endpoints says of each endpoint (0: no paging, the whole list every time). */
const LIVE_SIZES: Record<StreamName, number> = {
  appointment_types: 0,
  appointments: 25,
  customer_assets: 50,
  contacts: 50,
  contracts: 50,
  customers: 100,
  estimates: 25,
  invoices: 25,
  items: 50,
  line_items: 100,
  leads: 25,
  payments: 25,
  products: 20,
  tickets: 50,
  users: 0,
  ticket_timers: 100,
  timelogs: 100,
  rmm_alerts: 25,
  purchase_orders: 20,
  vendors: 100,
  portal_users: 100,
  wiki_pages: 100,
  schedules: 25,
  payment_methods: 0,
  product_categories: 0,
  canned_responses: 0,
  new_ticket_forms: 0,
};
const FULL_META = ['customer_assets', 'contacts', 'contracts', 'customers', 'line_items', 'leads', 'portal_users'];
const SHORT_META = ['estimates', 'invoices', 'items', 'payments', 'tickets', 'ticket_timers', 'rmm_alerts'];
const GLOBAL_ADMIN = ['appointment_types', 'line_items', 'portal_users'];
const NO_PERMISSION = { error: 'Not authorized. Please ask account admin to update your group permissions.' };
/** The query that lists every record: disabled customers and resolved alerts included. */
const EVERYTHING: Partial<Record<StreamName, string>> = { customers: 'include_disabled=true', rmm_alerts: 'status=all' };

const def = endpoint;
const STREAMS = ENDPOINTS;

async function get(sim: Simulator, pathAndQuery: string, auth: string = 'header'): Promise<Reply> {
  let url = sim.baseUrl + pathAndQuery;
  const headers: Record<string, string> = {};
  if (auth === 'header') headers.authorization = sim.apiKey;
  else if (auth === 'bearer') headers.authorization = `Bearer ${sim.apiKey}`;
  else if (auth === 'query') url += `${url.includes('?') ? '&' : '?'}api_key=${encodeURIComponent(sim.apiKey)}`;
  else if (auth !== 'none') headers.authorization = auth;
  const res = await fetch(url, { headers });
  const text = await res.text();
  let body: Obj = {};
  try {
    body = JSON.parse(text) as Obj;
  } catch {
    // Not JSON (fault pages); tests that care look at `text`.
  }
  return { status: res.status, headers: res.headers, text, body };
}

async function admin(sim: Simulator, method: 'GET' | 'POST', path: string, body?: unknown): Promise<{ status: number; body: unknown }> {
  const origin = new URL(sim.baseUrl).origin;
  const res = await fetch(`${origin}/__admin${path}`, {
    method,
    ...(body === undefined ? {} : { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } }),
  });
  return { status: res.status, body: await res.json() };
}

function records(r: Reply, stream: StreamName): Obj[] {
  const list = r.body[def(stream).arrayKey];
  assert.ok(Array.isArray(list), `${stream}: no array under ${def(stream).arrayKey} in ${r.text.slice(0, 200)}`);
  return list as Obj[];
}

/** Record ids of a page, unwrapping {"appointment": {...}} and reading [id, name] pairs. */
function ids(r: Reply, stream: StreamName): number[] {
  return records(r, stream).map((x) => (Array.isArray(x) ? x[0] : ((x['appointment'] as Obj | undefined) ?? x)['id']) as number);
}

async function walk(sim: Simulator, stream: StreamName, query = ''): Promise<Obj[]> {
  const out: Obj[] = [];
  for (let page = 1; ; page++) {
    const r = await get(sim, `${def(stream).path}?per_page=100&page=${page}${query}`);
    assert.equal(r.status, 200, r.text);
    const recs = records(r, stream);
    if (recs.length === 0) return out;
    out.push(...recs);
  }
}

function truthIds(sim: Simulator, stream: StreamName): number[] {
  return sim.truth()[stream].map((r) => r.id);
}

async function withSim<T>(options: SimulatorOptions, fn: (sim: Simulator) => Promise<T>): Promise<T> {
  const sim = await startSimulator(options);
  try {
    return await fn(sim);
  } finally {
    await sim.close();
  }
}

describe('crm-simulator', function () {
  this.timeout(30_000);
  let sim: Simulator;

  before(async () => {
    // Every stream larger than its page size, so that page 1 shows the default size.
    sim = await startSimulator({
      records: 6000,
      seed: 3,
      rpm: 0,
      counts: { contracts: 120, products: 45, vendors: 150, wiki_pages: 150, portal_users: 150, purchase_orders: 40, schedules: 40 },
    });
  });
  after(() => sim.close());

  describe('list endpoints', () => {
    it('answers all 27 list endpoints with their array key, ascending ids and the documented meta variant', async () => {
      for (const s of STREAMS) {
        const everything = EVERYTHING[s.name];
        const r = await get(sim, s.path + (everything ? `?${everything}` : ''));
        assert.equal(r.status, 200, s.name);
        assert.match(r.headers.get('content-type') ?? '', /^application\/json/);
        const got = ids(r, s.name);
        assert.ok(got.length > 0, s.name);
        assert.deepEqual(
          got,
          [...got].sort((a, b) => a - b),
          `${s.name} ids ascending`,
        );
        assert.deepEqual(got, truthIds(sim, s.name).slice(0, got.length), `${s.name} first page = first ids of the truth`);
        const meta = r.body['meta'] as Obj | undefined;
        const total = sim.truth()[s.name].length;
        const size = LIVE_SIZES[s.name];
        if (FULL_META.includes(s.name)) {
          assert.deepEqual(meta, { total_pages: Math.ceil(total / size), total_entries: total, per_page: size, page: 1 }, s.name);
        } else if (SHORT_META.includes(s.name)) {
          assert.deepEqual(meta, { total_pages: Math.ceil(total / size), page: 1 }, s.name);
        } else {
          assert.equal(meta, undefined, `${s.name} has no meta`);
        }
        assert.deepEqual(Object.keys(r.body).sort(), meta ? [s.arrayKey, 'meta'].sort() : [s.arrayKey]);
      }
    });

    it('serves the live page size of each endpoint by default', async () => {
      for (const name of STREAM_NAMES) {
        const everything = EVERYTHING[name];
        const r = await get(sim, def(name).path + (everything ? `?${everything}` : ''));
        const expected = LIVE_SIZES[name] === 0 ? truthIds(sim, name).length : LIVE_SIZES[name];
        assert.equal(records(r, name).length, expected, name);
      }
    });

    it('honours per_page up to 100 and clamps it above', async () => {
      const r100 = await get(sim, '/tickets?per_page=100');
      assert.equal(records(r100, 'tickets').length, 100);
      const r7 = await get(sim, '/leads?per_page=7&page=2');
      assert.deepEqual(ids(r7, 'leads'), truthIds(sim, 'leads').slice(7, 14));
      assert.equal((r7.body['meta'] as Obj)['per_page'], 7);
      const big = await get(sim, '/customers?per_page=500&include_disabled=true');
      assert.equal(records(big, 'customers').length, 100);
      assert.equal((big.body['meta'] as Obj)['per_page'], 100);
      const nonsense = await get(sim, '/contacts?per_page=abc');
      assert.equal(records(nonsense, 'contacts').length, 50);
    });

    it('answers 200 with an empty array (and meta) past the last page', async () => {
      const first = await get(sim, '/invoices');
      const last = (first.body['meta'] as Obj)['total_pages'] as number;
      const lastPage = await get(sim, `/invoices?page=${last}`);
      assert.ok(records(lastPage, 'invoices').length > 0);
      const past = await get(sim, `/invoices?page=${last + 1}`);
      assert.equal(past.status, 200);
      assert.deepEqual(past.body, { invoices: [], meta: { total_pages: last, page: last + 1 } });
      const products = await get(sim, '/products?page=99');
      assert.deepEqual(products.body, { products: [] });
    });

    it('ignores page where none is documented: the whole list every time', async () => {
      for (const stream of [
        'appointment_types',
        'users',
        'payment_methods',
        'product_categories',
        'canned_responses',
        'new_ticket_forms',
      ] as const) {
        const p1 = await get(sim, def(stream).path);
        const p7 = await get(sim, `${def(stream).path}?page=7`);
        assert.equal(p1.text, p7.text, stream);
        assert.ok(records(p1, stream).length <= 40, stream);
        assert.deepEqual(ids(p1, stream), truthIds(sim, stream), stream);
      }
    });

    it('pages timelogs by 100 without meta, though no page is documented', async () => {
      const truth = truthIds(sim, 'timelogs');
      assert.ok(truth.length > 100);
      const all = await walk(sim, 'timelogs');
      assert.deepEqual(
        all.map((r) => r['id']),
        truth,
      );
      assert.equal((await get(sim, '/timelogs?page=2')).body['meta'], undefined);
    });

    it('lists users as [id, full_name] pairs, each user’s record at /users/{id} under "user"', async () => {
      const list = records(await get(sim, '/users'), 'users') as unknown as [number, string][];
      assert.deepEqual(
        list.map(([id]) => id),
        truthIds(sim, 'users'),
      );
      for (const [id, name] of list.slice(0, 5)) {
        assert.equal(typeof name, 'string');
        const detail = await get(sim, `/users/${id}`);
        assert.equal(detail.status, 200);
        assert.deepEqual(Object.keys(detail.body), ['user']);
        assert.deepEqual(detail.body['user'], recordFor(3, 'users', id, 0));
        assert.equal((detail.body['user'] as Obj)['full_name'], name);
      }
      assert.equal((await get(sim, '/users/999999')).status, 404);
      const refused = await get(sim, `/users/${list[0]![0]}`, sim.limitedApiKey);
      assert.equal(refused.status, 401);
      assert.deepEqual(refused.body, NO_PERMISSION);
    });

    it('lists active RMM alerts by default, resolved ones with status=resolved, both with status=all', async () => {
      const truth = truthIds(sim, 'rmm_alerts');
      const all = await walk(sim, 'rmm_alerts', '&status=all');
      assert.deepEqual(
        all.map((r) => r['id']),
        truth,
      );
      const active = await walk(sim, 'rmm_alerts');
      const resolved = await walk(sim, 'rmm_alerts', '&status=resolved');
      assert.ok(active.length > 0 && resolved.length > 0);
      assert.ok(active.every((r) => r['resolved'] === false) && resolved.every((r) => r['resolved'] === true));
      assert.equal(active.length + resolved.length, truth.length);
    });

    it('serves product categories under the array key "categories"', async () => {
      const r = await get(sim, '/products/categories');
      assert.deepEqual(Object.keys(r.body), ['categories']);
      assert.deepEqual(ids(r, 'product_categories'), truthIds(sim, 'product_categories'));
    });

    it('wraps appointments as {"appointment": {...}} by default, and serves them flat on request', async () => {
      const wrapped = records(await get(sim, '/appointments'), 'appointments');
      for (const x of wrapped) assert.deepEqual(Object.keys(x), ['appointment']);
      await withSim({ records: 2000, seed: 3, rpm: 0, appointmentsWrapped: false }, async (flat) => {
        const recs = records(await get(flat, '/appointments'), 'appointments');
        assert.equal(typeof recs[0]!['id'], 'number');
        assert.deepEqual(recs[0], wrapped[0]!['appointment']);
      });
    });

    it('honours since_updated_at on tickets and invoices, compared as instants', async () => {
      for (const stream of ['tickets', 'invoices'] as const) {
        const truth = sim.truth()[stream];
        const since = '2025-06-01T00:00:00-05:00';
        const cut = Date.parse(since);
        const expected = truth.filter((r) => Date.parse(r.updated_at!) >= cut).map((r) => r.id);
        assert.ok(expected.length > 0 && expected.length < truth.length);
        const got = await walk(sim, stream, `&since_updated_at=${encodeURIComponent(since)}`);
        assert.deepEqual(
          got.map((r) => r['id']),
          expected,
          stream,
        );
        const meta = (await get(sim, `/${stream}?since_updated_at=${encodeURIComponent(since)}`)).body['meta'] as Obj;
        assert.equal(meta['total_pages'], Math.ceil(expected.length / LIVE_SIZES[stream]));
      }
    });

    it('answers 422 {"errors": ...} to an unparseable since_updated_at', async () => {
      const r = await get(sim, '/tickets?since_updated_at=yesterday');
      assert.equal(r.status, 422);
      assert.ok('errors' in r.body);
      // An unencoded "+" arrives as a space: unparseable, as it would be for the real API's parser.
      const plus = await get(sim, '/invoices?since_updated_at=2025-01-01T00:00:00+02:00');
      assert.equal(plus.status, 422);
    });

    it('ignores since_updated_at elsewhere (customers)', async () => {
      const plain = await get(sim, '/customers?include_disabled=true');
      const since = await get(sim, '/customers?include_disabled=true&since_updated_at=2030-01-01T00:00:00Z');
      assert.equal(since.text, plain.text);
    });

    it('hides disabled customers unless include_disabled=true', async () => {
      const truth = truthIds(sim, 'customers');
      const all = await walk(sim, 'customers', '&include_disabled=true');
      assert.deepEqual(
        all.map((r) => r['id']),
        truth,
      );
      const disabled = all.filter((r) => r['disabled'] === true).length;
      assert.ok(disabled > 0 && disabled < truth.length * 0.15, `${disabled} disabled of ${truth.length}`);
      const visible = await walk(sim, 'customers');
      assert.equal(visible.length, truth.length - disabled);
      assert.ok(visible.every((r) => r['disabled'] === false));
      const meta = (await get(sim, '/customers')).body['meta'] as Obj;
      assert.equal(meta['total_entries'], truth.length - disabled);
    });

    it('serves products and the other streams without timestamps without created_at / updated_at; their truth has updated_at null', async () => {
      for (const stream of ['products', 'wiki_pages', 'schedules', 'product_categories', 'canned_responses', 'new_ticket_forms'] as const) {
        for (const p of records(await get(sim, def(stream).path), stream)) {
          assert.ok(!('created_at' in p) && !('updated_at' in p), stream);
        }
        assert.ok(
          sim.truth()[stream].every((r) => r.updated_at === null),
          stream,
        );
      }
    });

    it('answers 404 {"message": "Not found"} to an unknown path', async () => {
      for (const path of ['/nope', '/tickets/1/nope']) {
        const r = await get(sim, path);
        assert.equal(r.status, 404);
        assert.deepEqual(r.body, { message: 'Not found' });
      }
    });
  });

  describe('authentication', () => {
    for (const form of ['header', 'bearer', 'query'] as const) {
      it(`accepts the key as ${form}`, async () => {
        const r = await get(sim, '/contacts', form);
        assert.equal(r.status, 200);
      });
    }

    it('answers 401 {"error":"Not authorized"} to a wrong or missing key, on every endpoint', async () => {
      for (const path of [...STREAMS.map((s) => s.path), '/me', '/tickets/1/comments']) {
        for (const auth of ['none', 'wrong-key', `Bearer wrong-key`]) {
          const r = await get(sim, path, auth);
          assert.equal(r.status, 401, `${path} ${auth}`);
          assert.deepEqual(r.body, { error: 'Not authorized' });
        }
      }
    });

    it('gives the limited key the permission 401 on the Global Admin endpoints only', async () => {
      for (const s of STREAMS) {
        const r = await get(sim, s.path, sim.limitedApiKey);
        if (GLOBAL_ADMIN.includes(s.name)) {
          assert.equal(r.status, 401, s.name);
          assert.deepEqual(r.body, NO_PERMISSION);
        } else assert.equal(r.status, 200, s.name);
      }
    });

    it('/me echoes the caller’s key in user_token, as the real API does', async () => {
      const full = await get(sim, '/me', 'query');
      assert.equal(full.status, 200);
      assert.equal(full.body['user_token'], sim.apiKey);
      assert.equal(full.body['admin'], true);
      const limited = await get(sim, '/me', `Bearer ${sim.limitedApiKey}`);
      assert.equal(limited.body['user_token'], sim.limitedApiKey);
      assert.equal(limited.body['admin'], false);
    });
  });

  describe('ticket comments', () => {
    it('pages GET /tickets/{id}/comments (default 10, max 100) and the list carries the first comment', async () => {
      const ticketIds = truthIds(sim, 'tickets');
      const busy = ticketIds.find((id) => commentCount(3, id) > 10)!;
      const none = ticketIds.find((id) => commentCount(3, id) === 0)!;
      const n = commentCount(3, busy);
      const p1 = await get(sim, `/tickets/${busy}/comments`);
      assert.equal((p1.body['comments'] as Obj[]).length, 10);
      assert.deepEqual(p1.body['meta'], { total_pages: 2, page: 1, per_page: 10 });
      const p2 = await get(sim, `/tickets/${busy}/comments?page=2`);
      assert.equal((p2.body['comments'] as Obj[]).length, n - 10);
      const all = await get(sim, `/tickets/${busy}/comments?per_page=500`);
      const comments = all.body['comments'] as Obj[];
      assert.equal(comments.length, n);
      assert.deepEqual(all.body['meta'], { total_pages: 1, page: 1, per_page: 100 });
      assert.deepEqual(comments.slice(0, 10), p1.body['comments']);
      // The ticket in the list carries only the first comment.
      const index = ticketIds.indexOf(busy);
      const page = await get(sim, `/tickets?per_page=100&page=${Math.floor(index / 100) + 1}`);
      const t = records(page, 'tickets').find((x) => x['id'] === busy)!;
      assert.deepEqual(t['comments'], [comments[0]]);
      const empty = await get(sim, `/tickets/${none}/comments`);
      assert.deepEqual(empty.body, { comments: [], meta: { total_pages: 0, page: 1, per_page: 10 } });
      assert.equal((await get(sim, '/tickets/999999999/comments')).status, 404);
    });
  });

  describe('records', () => {
    const QUIRKS: Record<string, string> = { items: 'ticketnum', contracts: 'primary_contact', invoices: 'hardwarecost' };

    it('validate against schemas/<stream>.json (quirk fields excepted) and carry every schema property', async () => {
      const ajv = new Ajv({ allErrors: true, strict: false });
      addFormats.default(ajv, ['date-time']);
      const seen = { unlisted: 0, offset: 0, total: 0, nonAscii: 0, emoji: 0 };
      const quirkTypes: Record<string, Set<string>> = { items: new Set(), contracts: new Set(), invoices: new Set() };
      for (const stream of STREAM_NAMES) {
        const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', `${stream}.json`), 'utf8')) as { properties: Record<string, unknown> };
        const quirk = QUIRKS[stream];
        if (quirk) schema.properties[quirk] = {};
        const validate = ajv.compile(schema);
        const fromList =
          stream === 'users' ? [] : records(await get(sim, `${def(stream).path}?per_page=100&${EVERYTHING[stream] ?? ''}`), stream);
        const fromDetail =
          stream === 'users'
            ? await Promise.all(truthIds(sim, 'users').map(async (id) => (await get(sim, `/users/${id}`)).body['user'] as Obj))
            : [];
        const fromHttp = [...fromList, ...fromDetail].map((x) => (x['appointment'] as Obj | undefined) ?? x);
        const generated = Array.from({ length: 400 }, (_, i) => recordFor(11, stream, i + 1, i % 3) as Obj);
        for (const rec of [...fromHttp, ...generated]) {
          seen.total++;
          assert.ok(
            validate(rec),
            `${stream} ${String(rec['id'])}: ${ajv.errorsText(validate.errors)}\n${JSON.stringify(rec).slice(0, 400)}`,
          );
          for (const p of Object.keys(schema.properties)) assert.ok(p in rec, `${stream} ${String(rec['id'])} lacks ${p}`);
          const extra = Object.keys(rec).filter((k) => !(k in schema.properties));
          if (extra.length > 0) {
            assert.ok(
              extra.every((k) => k.startsWith('extra_')),
              `${stream}: unexpected ${extra.join()}`,
            );
            seen.unlisted++;
          }
          if (typeof rec['created_at'] === 'string' && typeof rec['updated_at'] === 'string') {
            assert.ok(
              Date.parse(rec['updated_at']) >= Date.parse(rec['created_at']),
              `${stream} ${String(rec['id'])} updated before created`,
            );
            assert.ok(Date.parse(rec['updated_at']) < Date.now());
            if (!rec['created_at'].endsWith('Z')) seen.offset++;
          }
          const text = JSON.stringify(rec);
          if (/[\u0080-\uffff]/.test(text)) seen.nonAscii++;
          if (/\p{Extended_Pictographic}/u.test(text)) seen.emoji++;
          if (quirk)
            quirkTypes[stream]!.add(
              rec[quirk] === null ? 'null' : typeof rec[quirk] === 'string' && stream === 'invoices' ? rec[quirk] : typeof rec[quirk],
            );
        }
      }
      assert.ok(
        seen.unlisted > seen.total * 0.02 && seen.unlisted < seen.total * 0.1,
        `members no schema lists on ${seen.unlisted} of ${seen.total}`,
      );
      assert.ok(seen.offset > 0 && seen.nonAscii > seen.total * 0.2 && seen.emoji > 0, JSON.stringify(seen));
      assert.ok(quirkTypes.items!.has('number') && quirkTypes.items!.has('string'), 'items.ticketnum string and number');
      assert.ok(
        quirkTypes.contracts!.has('boolean') && quirkTypes.contracts!.has('string'),
        'contracts.primary_contact string and boolean',
      );
      assert.ok(
        ['null', '0.0', 'number'].every((t) => quirkTypes.invoices!.has(t)),
        'invoices.hardwarecost null, "0.0" and number',
      );
    });

    it('are deterministic: same seed, same bodies; another seed, other bodies', async () => {
      const paths = ['/tickets?page=2', '/customer_assets', '/payments?per_page=100', `/tickets/${truthIds(sim, 'tickets')[3]}/comments`];
      await withSim(
        {
          records: 6000,
          seed: 3,
          rpm: 0,
          counts: { contracts: 120, products: 45, vendors: 150, wiki_pages: 150, portal_users: 150, purchase_orders: 40, schedules: 40 },
        },
        async (twin) => {
          await withSim(
            {
              records: 6000,
              seed: 4,
              rpm: 0,
              counts: {
                contracts: 120,
                products: 45,
                vendors: 150,
                wiki_pages: 150,
                portal_users: 150,
                purchase_orders: 40,
                schedules: 40,
              },
            },
            async (other) => {
              for (const p of paths) {
                const a = await get(sim, p);
                assert.equal((await get(twin, p)).text, a.text, p);
                assert.notEqual((await get(other, p)).text, a.text, p);
              }
              assert.deepEqual(twin.truth(), sim.truth());
            },
          );
        },
      );
      assert.deepEqual(recordFor(9, 'tickets', 42, 1), recordFor(9, 'tickets', 42, 1));
      assert.notDeepEqual(recordFor(9, 'tickets', 42, 1), recordFor(9, 'tickets', 42, 2));
    });
  });

  describe('rate limit', () => {
    it('answers 429 {"error":"Too many requests"} over rpm, with Retry-After per the retryAfter mode', async () => {
      for (const mode of ['always', 'never', 'mixed'] as const) {
        await withSim({ records: 200, rpm: 3, windowMs: 60_000, retryAfter: mode }, async (limited) => {
          for (let i = 0; i < 3; i++) assert.equal((await get(limited, '/contacts')).status, 200);
          const headers: (string | null)[] = [];
          for (let i = 0; i < 4; i++) {
            const r = await get(limited, '/contacts');
            assert.equal(r.status, 429);
            assert.deepEqual(r.body, { error: 'Too many requests' });
            headers.push(r.headers.get('retry-after'));
          }
          const present = headers.map((h) => h !== null);
          if (mode === 'always') assert.deepEqual(present, [true, true, true, true]);
          if (mode === 'never') assert.deepEqual(present, [false, false, false, false]);
          if (mode === 'mixed') assert.deepEqual(present, [true, false, true, false]);
          for (const h of headers) if (h !== null) assert.ok(Number(h) >= 1 && Number(h) <= 60, h);
          const stats = limited.stats();
          assert.equal(stats.rateLimited, 4);
          assert.equal(stats.peakPerMinute, 3);
          assert.equal(stats.endpoints.contacts!.byStatus['429'], 4);
        });
      }
    });

    it('frees slots as the window slides, and does not count rejected requests', async () => {
      await withSim({ records: 200, rpm: 2, windowMs: 300 }, async (limited) => {
        assert.equal((await get(limited, '/leads')).status, 200);
        assert.equal((await get(limited, '/leads')).status, 200);
        // Knock every 10 ms: each knock inside the window is rejected. If rejected knocks counted, the window
        // would never empty again and no knock would pass; they do not, so two pass once the first two age out.
        const statuses: number[] = [];
        while (statuses.filter((s) => s === 200).length < 2 && statuses.length < 500) {
          statuses.push((await get(limited, '/leads')).status);
          await new Promise((r) => setTimeout(r, 10));
        }
        assert.equal(statuses.filter((s) => s === 200).length, 2, `${statuses.length} knocks`);
        assert.ok(statuses[0] === 429);
        assert.equal(limited.stats().peakPerMinute, 2);
      });
    });
  });

  describe('faults', () => {
    const faulty = (kind: FaultKind, extra: SimulatorOptions = {}): SimulatorOptions => ({
      records: 500,
      rpm: 0,
      failRate: 1,
      faults: [kind],
      ...extra,
    });

    for (const kind of ['500', '502', '503', '504'] as const) {
      it(`${kind}: an HTML error page`, async () => {
        await withSim(faulty(kind), async (f) => {
          const r = await get(f, '/tickets?page=1');
          assert.equal(r.status, Number(kind));
          assert.match(r.headers.get('content-type') ?? '', /text\/html/);
          assert.match(r.text, new RegExp(`<html><body><h1>${kind} [A-Z]|<h1>${kind} `));
          assert.ok(!r.text.includes(f.apiKey), 'no echo unless echoRequest');
          assert.equal(f.stats().endpoints.tickets!.byFault[kind], 1);
        });
      });
    }

    it('echoRequest: 5xx bodies echo the request line, query and headers, credentials included', async () => {
      await withSim(faulty('502', { echoRequest: true }), async (f) => {
        const r = await get(f, '/tickets?page=3&per_page=7', 'bearer');
        assert.equal(r.status, 502);
        assert.ok(r.text.includes('GET /api/v1/tickets?page=3&amp;per_page=7 HTTP/1.1'), r.text);
        assert.ok(r.text.includes(`Bearer ${f.apiKey}`));
        const q = await get(f, '/tickets?page=3', 'query');
        assert.ok(q.text.includes(`api_key=${f.apiKey}`));
      });
    });

    it('reset: the socket is destroyed without a response', async () => {
      await withSim(faulty('reset'), async (f) => {
        await assert.rejects(fetch(`${f.baseUrl}/tickets`, { headers: { authorization: f.apiKey } }));
        assert.equal(f.stats().endpoints.tickets!.byFault.reset, 1);
        assert.equal(f.stats().endpoints.tickets!.byStatus['0'], 1);
      });
    });

    it('truncated: 200 with the start of the right body, cut in the middle', async () => {
      await withSim(
        faulty('truncated', {
          seed: 3,
          records: 6000,
          counts: { contracts: 120, products: 45, vendors: 150, wiki_pages: 150, portal_users: 150, purchase_orders: 40, schedules: 40 },
        }),
        async (f) => {
          const r = await get(f, '/invoices?page=2');
          assert.equal(r.status, 200);
          assert.throws(() => JSON.parse(r.text));
          const whole = (await get(sim, '/invoices?page=2')).text;
          assert.ok(r.text.length > 10 && r.text.length < whole.length);
          assert.ok(whole.startsWith(r.text.replace(/\uFFFD+$/, '')));
          assert.equal(f.stats().endpoints.invoices!.byFault.truncated, 1);
        },
      );
    });

    it('stall: the answer comes late (a client with a short timeout gives up first)', async () => {
      await withSim(faulty('stall', { stallMs: 300 }), async (f) => {
        await assert.rejects(fetch(`${f.baseUrl}/contacts`, { headers: { authorization: f.apiKey }, signal: AbortSignal.timeout(20) }));
        const r = await get(f, '/contacts');
        assert.equal(r.status, 200);
        assert.equal(records(r, 'contacts').length, Math.min(50, truthIds(f, 'contacts').length));
        assert.equal(f.stats().endpoints.contacts!.byFault.stall, 2);
      });
    });

    it('html200: status 200 with a text/html maintenance page', async () => {
      await withSim(faulty('html200'), async (f) => {
        const r = await get(f, '/payments');
        assert.equal(r.status, 200);
        assert.match(r.headers.get('content-type') ?? '', /^text\/html/);
        assert.match(r.text, /maintenance/i);
      });
    });

    it('draws faults at failRate from a seeded sequence, and never faults the admin API', async () => {
      const run = async (): Promise<string[]> =>
        withSim({ records: 500, rpm: 0, failRate: 0.5, faults: ['500', '503', 'html200'], seed: 8 }, async (f) => {
          const kinds: string[] = [];
          for (let i = 0; i < 30; i++) {
            const r = await get(f, '/leads');
            kinds.push(r.status === 200 && !r.text.startsWith('<') ? 'ok' : `${r.status}`);
            assert.equal((await admin(f, 'GET', '/stats')).status, 200);
          }
          return kinds;
        });
      const a = await run();
      assert.deepEqual(await run(), a);
      assert.ok(a.includes('ok') && a.some((k) => k !== 'ok'), a.join());
    });
  });

  describe('admin API and mutations', () => {
    it('reflects update, insert and delete in truth, in list pages and in since_updated_at results', async () => {
      await withSim({ records: 3000, seed: 5, rpm: 0 }, async (m) => {
        const before = m.truth().tickets;
        const firstPage = await get(m, '/tickets');
        const up = (await admin(m, 'POST', '/mutate', { stream: 'tickets', update: 3 })).body as MutationResult;
        assert.equal(up.updated.length, 3);
        assert.ok(up.updated_at !== null && Date.parse(up.updated_at) > Date.parse('2026-01-01'));
        const truth = m.truth().tickets;
        for (const id of up.updated) assert.equal(truth.find((r) => r.id === id)!.updated_at, up.updated_at);
        const since = await walk(m, 'tickets', `&since_updated_at=${encodeURIComponent(up.updated_at)}`);
        assert.deepEqual(
          since.map((r) => r['id']),
          up.updated,
        );
        assert.ok(since.every((r) => r['updated_at'] === up.updated_at));

        // Updating a record of page 1 changes page 1 (the page cache is invalidated).
        const firstId = before[0]!.id;
        const up2 = (await admin(m, 'POST', '/mutate', { stream: 'tickets', update: [firstId, 987654321] })).body as MutationResult;
        assert.deepEqual(up2.updated, [firstId]);
        assert.ok(Date.parse(up2.updated_at!) > Date.parse(up.updated_at), 'updated_at strictly increases');
        const firstPage2 = await get(m, '/tickets');
        assert.notEqual(firstPage2.text, firstPage.text);
        assert.equal(records(firstPage2, 'tickets')[0]!['updated_at'], up2.updated_at);

        const maxBefore = before.at(-1)!.id;
        const ins = m.mutate({ stream: 'tickets', insert: 2 });
        assert.deepEqual(ins.inserted, [maxBefore + 1, maxBefore + 2]);
        const all = await walk(m, 'tickets');
        const last = all.at(-1)!;
        assert.equal(last['id'], maxBefore + 2);
        assert.equal(last['created_at'], ins.updated_at);
        assert.equal(last['updated_at'], ins.updated_at);

        const victims = [before[1]!.id, before[2]!.id];
        const del = m.mutate({ stream: 'tickets', delete: victims });
        assert.deepEqual(del.deleted, victims);
        const after = truthIds(m, 'tickets');
        assert.equal(after.length, before.length + 2 - 2);
        assert.ok(victims.every((id) => !after.includes(id)));
        assert.deepEqual(
          (await walk(m, 'tickets')).map((r) => r['id']),
          after,
        );
        const delMany = m.mutate({ stream: 'invoices', delete: 5 });
        assert.equal(delMany.deleted.length, 5);
        assert.equal(((await get(m, '/invoices')).body['meta'] as Obj)['total_pages'], Math.ceil(truthIds(m, 'invoices').length / 25));
        assert.deepEqual((await admin(m, 'GET', '/truth')).body, m.truth());
        // The deleted ids, reported by stream.
        const reported = { tickets: [...victims].sort((a, b) => a - b), invoices: [...delMany.deleted].sort((a, b) => a - b) };
        assert.deepEqual(m.deleted(), reported);
        assert.deepEqual((await admin(m, 'GET', '/deleted')).body, reported);
      });
    });

    it('updates products in content only (no timestamps)', async () => {
      await withSim({ records: 1000, seed: 5, rpm: 0 }, async (m) => {
        const id = truthIds(m, 'products')[0]!;
        const before = records(await get(m, '/products'), 'products')[0];
        const r = m.mutate({ stream: 'products', update: [id] });
        assert.deepEqual(r.updated, [id]);
        assert.equal(r.updated_at, null);
        const after = records(await get(m, '/products'), 'products')[0]!;
        assert.notDeepEqual(after, before);
        assert.ok(!('updated_at' in after));
      });
    });

    it('rejects malformed mutations and configurations with 400', async () => {
      assert.equal((await admin(sim, 'POST', '/mutate', { stream: 'nope', update: 1 })).status, 400);
      assert.equal((await admin(sim, 'POST', '/mutate', { stream: 'tickets', update: 'x' })).status, 400);
      assert.equal((await admin(sim, 'POST', '/configure', { rpm: -1 })).status, 400);
      assert.equal((await admin(sim, 'POST', '/configure', { seed: 2 })).status, 400);
      assert.equal((await admin(sim, 'GET', '/nothing')).status, 404);
    });

    it('counts requests per endpoint, status, parameter and value; resets; redacts api_key in the log', async () => {
      await withSim({ records: 1000, rpm: 0 }, async (m) => {
        await get(m, '/customers?include_disabled=true&per_page=30');
        await get(m, '/customers?page=2', 'query');
        await get(m, '/tickets?since_updated_at=2025-01-01T00:00:00Z');
        await get(m, '/line_items', m.limitedApiKey);
        await get(m, '/me');
        await get(m, '/tickets/1/comments');
        await get(m, '/nope');
        const stats = (await admin(m, 'GET', '/stats')).body as SimulatorStats;
        assert.equal(stats.total, 7);
        assert.equal(stats.endpoints.customers!.requests, 2);
        assert.deepEqual(stats.endpoints.customers!.params, ['api_key', 'include_disabled', 'page', 'per_page']);
        assert.deepEqual(stats.endpoints.customers!.values.include_disabled, ['true']);
        assert.deepEqual(stats.endpoints.customers!.values.per_page, ['30']);
        assert.deepEqual(stats.endpoints.tickets!.values.since_updated_at, ['2025-01-01T00:00:00Z']);
        assert.deepEqual(stats.endpoints.line_items!.byStatus, { '401': 1 });
        assert.equal(stats.endpoints.me!.requests, 1);
        assert.equal(stats.endpoints.ticket_comments!.requests, 1);
        assert.deepEqual(stats.endpoints.other!.byStatus, { '404': 1 });
        assert.equal(stats.log.length, 7);
        const { at, ...entry } = stats.log[0]!;
        assert.deepEqual(entry, { method: 'GET', path: '/api/v1/customers', query: 'include_disabled=true&per_page=30', status: 200 });
        assert.ok(at <= Date.now() && at > Date.now() - 60_000 && at <= stats.log[6]!.at, 'answer times, in order');
        assert.ok(!JSON.stringify(stats).includes(m.apiKey), 'no key in stats');
        assert.equal(stats.peakPerMinute, 7);
        assert.equal((await admin(m, 'POST', '/stats/reset')).status, 200);
        const reset = m.stats();
        assert.deepEqual(reset, { total: 0, endpoints: {}, peakPerMinute: 0, rateLimited: 0, log: [] });
      });
    });

    it('configure() changes rate limit, faults and latency at run time (in process and over HTTP)', async () => {
      await withSim({ records: 500, rpm: 0 }, async (m) => {
        assert.equal((await admin(m, 'POST', '/configure', { rpm: 1, retryAfter: 'always' })).status, 200);
        assert.equal((await get(m, '/leads')).status, 200);
        const limited = await get(m, '/leads');
        assert.equal(limited.status, 429);
        assert.ok(limited.headers.get('retry-after'));
        m.configure({ rpm: 0, failRate: 1, faults: ['503'], latencyMs: 5 });
        assert.equal((await get(m, '/leads')).status, 503);
        m.configure({ failRate: 0 });
        assert.equal((await get(m, '/leads')).status, 200);
        assert.throws(() => {
          m.configure({ failRate: 2 });
        });
      });
    });
  });

  it('starts a 300k-record account at once and serves its last page', async () => {
    await withSim({ records: 300_000, rpm: 0, cacheBytes: 16 << 20 }, async (big) => {
      const first = await get(big, '/line_items?per_page=100');
      const meta = first.body['meta'] as Obj;
      const total = meta['total_entries'] as number;
      assert.ok(total > 50_000);
      const last = await get(big, `/line_items?per_page=100&page=${meta['total_pages'] as number}`);
      const lastIds = ids(last, 'line_items');
      assert.equal(lastIds.length, total % 100 || 100);
      assert.equal(lastIds.at(-1), truthIds(big, 'line_items').at(-1));
      assert.deepEqual(ids(await get(big, `/line_items?per_page=100&page=${(meta['total_pages'] as number) + 1}`), 'line_items'), []);
    });
  });
});
