import { expect } from 'chai';
import { loadSchema } from '../../src/protocol/catalog.js';
import { IdSet } from '../../src/records/idset.js';
import { PageProcessor } from '../../src/sync/page-processor.js';
import type { StreamSpec } from '../../src/sync/page-spec.js';
import { firstSeen } from '../../src/sync/first-seen.js';
import { PagePool } from '../../src/sync/page-pool.js';

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const lines = (out: Uint8Array) =>
  Buffer.from(out)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map(
      (l) => JSON.parse(l) as { type: string; stream: string; record: Record<string, unknown>; time_extracted: string; version?: number },
    );

function processor(spec: Partial<StreamSpec> = {}) {
  const p = new PageProcessor();
  p.configure(0, {
    stream: 'leads',
    schema: loadSchema('leads'),
    body: { type: 'array', key: 'leads' },
    fields: null,
    write: true,
    replicationKey: 'updated_at',
    protocol: 'singer',
    stamps: false,
    ...spec,
  });
  return p;
}
const job = (page: number, value: unknown, extra = {}) => ({
  key: 0,
  page,
  body: body(value),
  extractedAt: Date.parse('2026-01-01T00:00:00.000Z'),
  ...extra,
});

describe('page processor: parse, shape, filter, serialise', () => {
  it('answers every page with a result of one shape, the same members in the same order, whatever the page held (read() is then optimised once for every stream: docs/benchmarks.md, cpu)', () => {
    const p = processor();
    const results = [
      p.process(
        job(1, { leads: [{ id: 1, updated_at: '2024-01-01T00:00:00Z' }], meta: { total_pages: 3, total_entries: 7, per_page: 1 } }),
      ),
      p.process(job(2, { leads: [{ id: 2 }] })),
      p.process(job(3, { leads: 'none' })),
      p.process(job(4, 'not json')),
      processor({ body: { type: 'object', key: 'user' } }).process(job(1, { user: { id: 5 } }, { sinceMs: 0, parentId: 9 })),
    ];
    expect(results.map((r) => r.invalid)).to.deep.equal([undefined, undefined, 'no-array', 'json', undefined]);
    for (const result of results.slice(1)) expect(Object.keys(result)).to.deep.equal(Object.keys(results[0]!));
  });

  it('serialises the page’s records as RECORD lines and reports the page’s meta and ids', () => {
    const result = processor().process(
      job(1, { leads: [{ id: 1, updated_at: '2024-01-01T00:00:00Z' }, { id: 2 }], meta: { total_pages: 3, total_entries: 7 } }),
    );
    expect(result).to.include({ count: 2, totalPages: 3, totalEntries: 7 });
    expect(result.ids).to.deep.equal([1, 2]);
    expect(result.emits).to.deep.equal([true, true]);
    expect(result.identities).to.deep.equal([1, 2]);
    expect(lines(result.out)).to.deep.equal([
      {
        type: 'RECORD',
        stream: 'leads',
        record: { id: 1, updated_at: '2024-01-01T00:00:00Z' },
        time_extracted: '2026-01-01T00:00:00.000Z',
      },
      { type: 'RECORD', stream: 'leads', record: { id: 2 }, time_extracted: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('emits only records at or after the bookmark, and reports the newest timestamp seen', () => {
    const result = processor().process(
      job(
        1,
        {
          leads: [
            { id: 1, updated_at: '2024-01-01T00:00:00Z' },
            { id: 2, updated_at: '2024-06-01T00:00:00-05:00' },
            { id: 3, updated_at: '2024-03-01T00:00:00Z' },
          ],
        },
        {
          sinceMs: Date.parse('2024-03-01T00:00:00Z'),
        },
      ),
    );
    expect(result.ids).to.deep.equal([1, 2, 3]);
    expect(result.emits).to.deep.equal([false, true, true]);
    expect(lines(result.out).map((l) => l.record.id)).to.deep.equal([2, 3]);
    expect(result.newestMs).to.equal(Date.parse('2024-06-01T05:00:00Z'));
  });

  it('stamps the version, keeps only selected fields, unwraps wrapped elements', () => {
    const p = new PageProcessor();
    p.configure(5, {
      stream: 'appointments',
      schema: loadSchema('appointments'),
      body: { type: 'array', key: 'appointments', wrapper: 'appointment' },
      stamps: false,
      fields: ['id', 'summary'],
      version: 42,
      write: true,
      protocol: 'singer',
    });
    const result = p.process({ ...job(1, { appointments: [{ appointment: { id: 9, summary: 's', location: 'x' } }] }), key: 5 });
    expect(lines(result.out)).to.deep.equal([
      { type: 'RECORD', stream: 'appointments', record: { id: 9, summary: 's' }, time_extracted: '2026-01-01T00:00:00.000Z', version: 42 },
    ]);
    expect(result.identities).to.deep.equal([9]);
  });

  it('reads a body of several record arrays, each record with its array’s name, its parent’s id and its made key', () => {
    const p = processor({
      stream: 'asset_patches',
      schema: loadSchema('asset_patches'),
      body: {
        type: 'lists',
        lists: { installed_patches: 'installed', available_patches: 'available' },
        listField: 'patch_list',
        madeKey: { field: 'patch_key', from: ['kb', 'title'] },
      },
      replicationKey: undefined,
      keyProperties: ['asset_id', 'patch_list', 'patch_key'],
      parentField: 'asset_id',
    });
    const installed = { kb: 'KB1', title: 'Update', status: 'Recently Installed' };
    const driver = { kb: null, title: 'Intel Display', status: 'Missing Patches' };
    const result = p.process(
      job(1, { installed_patches: [installed], available_patches: [driver], available_patches_meta: {} }, { parentId: 7 }),
    );
    expect(lines(result.out).map((l) => l.record)).to.deep.equal([
      { ...installed, patch_list: 'installed', asset_id: 7, patch_key: 'KB1|Update' },
      { ...driver, patch_list: 'available', asset_id: 7, patch_key: '|Intel Display' },
    ]);
    expect(result.ids).to.deep.equal(['[7,"installed","KB1|Update"]', '[7,"available","|Intel Display"]']);
    // An asset without patch data: the arrays missing or null are empty lists, not a body without records.
    for (const empty of [{}, { installed_patches: null, available_patches: null }]) {
      const none = p.process(job(1, empty, { parentId: 8 }));
      expect(none.invalid).to.equal(undefined);
      expect(none).to.deep.include({ count: 0, ids: [] });
    }
  });

  it('keeps a parent id the record already has, and sets it where it is missing or null', () => {
    const p = processor({
      stream: 'customer_phones',
      schema: loadSchema('customer_phones'),
      body: { type: 'array', key: 'phones' },
      replicationKey: undefined,
      parentField: 'customer_id',
    });
    const result = p.process(job(1, { phones: [{ id: 1, customer_id: 5 }, { id: 2 }, { id: 3, customer_id: null }] }, { parentId: 5 }));
    expect(lines(result.out).map((l) => l.record.customer_id)).to.deep.equal([5, 5, 5]);
  });

  it('reports each record’s timestamp where the spec asks (a parent whose children follow the changed ones), NaN where it has none', () => {
    const page = { leads: [{ id: 1, updated_at: '2024-01-01T00:00:00Z' }, { id: 2 }, { id: 3, updated_at: '2024-02-01T00:00:00+01:00' }] };
    const stamped = processor({ stamps: true }).process(job(1, page, { sinceMs: Date.parse('2024-01-15T00:00:00Z') }));
    expect(stamped.ids).to.deep.equal([1, 2, 3]);
    expect(stamped.stamps).to.deep.equal([Date.parse('2024-01-01T00:00:00Z'), NaN, Date.parse('2024-01-31T23:00:00Z')]);
    expect(stamped.emits).to.deep.equal([false, true, true]);
    expect(processor().process(job(1, page)).stamps).to.deep.equal([]);
  });

  it('writes nothing for a walk-only stream, and still reports its ids', () => {
    const walkOnly = processor({ write: false }).process(job(1, { leads: [{ id: 1 }] }));
    expect(walkOnly.ids).to.deep.equal([1]);
    expect(walkOnly.out.byteLength).to.equal(0);
  });

  it('reports a body that is not JSON, and one without the record array', () => {
    expect(processor().process(job(1, '{"leads": [{"id": 1')).invalid).to.equal('json');
    expect(processor().process(job(1, { error: 'Not authorized' })).invalid).to.equal('no-array');
  });

  it('copies the bytes of records that need no reshaping, so numbers keep their exact text', () => {
    // JSON.parse + JSON.stringify would turn these into 12345678901234567000 and 1.5.
    const text = '{"leads":[{"id":1,"big":12345678901234567890,"price":1.50,"name":"Zoë 😀"},{"id":2,"big":1}]}';
    const out = Buffer.from(processor({ replicationKey: undefined }).process(job(1, text)).out).toString('utf8');
    expect(out).to.equal(
      '{"type":"RECORD","stream":"leads","record":{"id":1,"big":12345678901234567890,"price":1.50,"name":"Zoë 😀"},"time_extracted":"2026-01-01T00:00:00.000Z"}\n' +
        '{"type":"RECORD","stream":"leads","record":{"id":2,"big":1},"time_extracted":"2026-01-01T00:00:00.000Z"}\n',
    );
  });

  it('serialises the records it reshapes, between copied ones, in page order', () => {
    const p = new PageProcessor();
    p.configure(0, {
      stream: 'items',
      schema: loadSchema('items'),
      body: { type: 'array', key: 'items' },
      fields: null,
      write: true,
      protocol: 'singer',
      stamps: false,
    });
    const text = '{"items":[{"id":1,"ticketnum":"7","cf_weight":1.50},{"id":2,"ticketnum":8,"cf_weight":1.50},{"id":3,"cf_weight":2.0}]}';
    const out = Buffer.from(p.process(job(1, text)).out)
      .toString('utf8')
      .split('\n');
    expect(out.map((l) => l.slice(l.indexOf('"record":'), l.indexOf(',"time_extracted"')))).to.deep.equal([
      '"record":{"id":1,"ticketnum":"7","cf_weight":1.50}',
      '"record":{"id":2,"ticketnum":"8","cf_weight":1.5}',
      '"record":{"id":3,"cf_weight":2.0}',
      '',
    ]);
  });

  it('reads text beyond ASCII right where it reshapes a record, and in ids', () => {
    const p = new PageProcessor();
    // A catalog may declare text ids; the API's are integers.
    const schema = loadSchema('items');
    schema.properties!.id = { type: ['integer', 'string'] };
    p.configure(0, {
      stream: 'items',
      schema,
      body: { type: 'array', key: 'items' },
      fields: null,
      write: true,
      protocol: 'singer',
      stamps: false,
    });
    const text = '{"items":[{"id":"ñ-1","name":"Zoë"},{"id":2,"ticketnum":8,"name":"Zoë 😀"}]}';
    const result = p.process(job(1, text));
    expect(result.ids).to.deep.equal(['ñ-1', 2]);
    expect(result.identities).to.deep.equal(['ñ-1', 2]);
    expect(lines(result.out).map((l) => l.record)).to.deep.equal([
      { id: 'ñ-1', name: 'Zoë' },
      { id: 2, ticketnum: '8', name: 'Zoë 😀' },
    ]);
    const selected = processor({ fields: ['id', 'name'] }).process(job(1, '{"leads":[{"id":1,"name":"Zoë","email":"z@x"}]}'));
    expect(lines(selected.out).map((l) => l.record)).to.deep.equal([{ id: 1, name: 'Zoë' }]);
  });

  it('writes the records JSON.parse kept when the array key is repeated, once with escapes', () => {
    const result = processor().process(job(1, '{"leads":[{"id":1},{"id":2}],"le\\u0061ds":[{"id":3},{"id":4}]}'));
    expect(result.ids).to.deep.equal([3, 4]);
    expect(lines(result.out).map((l) => l.record)).to.deep.equal([{ id: 3 }, { id: 4 }]);
  });

  it('writes one line per record from a page printed over several lines, or not valid UTF-8', () => {
    const pretty = JSON.stringify({ leads: [{ id: 1, a: [1, 2] }, { id: 2 }] }, null, 2);
    expect(
      Buffer.from(processor().process(job(1, pretty)).out)
        .toString('utf8')
        .split('\n'),
    ).to.have.length(3);
    expect(lines(processor().process(job(1, pretty)).out).map((l) => l.record)).to.deep.equal([{ id: 1, a: [1, 2] }, { id: 2 }]);

    const invalid = Buffer.concat([Buffer.from('{"leads":[{"id":1,"name":"'), Buffer.from([0xff, 0xfe]), Buffer.from('"}]}')]);
    const out = Buffer.from(processor().process({ ...job(1, {}), body: invalid }).out);
    expect(out.toString('utf8')).to.include('"name":"\ufffd\ufffd"');
    expect(Buffer.from(out.toString('utf8'), 'utf8').equals(out), 'the output is valid UTF-8').to.equal(true);
  });

  it('counts elements without an id, and skips them', () => {
    const result = processor().process(job(1, { leads: [{ name: 'no id' }, { id: 4 }] }));
    expect(result).to.include({ count: 2, withoutId: 1 });
    expect(result.ids).to.deep.equal([4]);
  });
});

describe('firstSeen: each id once per run, in page order', () => {
  it('cuts the lines of ids seen on earlier pages or earlier on the same page, and counts them', () => {
    const p = processor();
    const seen = new IdSet();
    const first = firstSeen(p.process(job(1, { leads: [{ id: 1 }, { id: 2 }] })), seen);
    expect(first.emitted).to.deep.equal([1, 2]);
    expect(first.duplicates).to.equal(0);
    const second = firstSeen(p.process(job(2, { leads: [{ id: 2, name: 'é' }, { id: 3 }, { id: 3 }, { id: 4, name: 'ü' }] })), seen);
    expect(second.emitted).to.deep.equal([3, 4]);
    expect(second.duplicates).to.equal(2);
    expect(lines(second.out).map((l) => l.record)).to.deep.equal([{ id: 3 }, { id: 4, name: 'ü' }]);
    expect(seen.size).to.equal(4);
  });

  it('passes the page’s output through untouched when nothing is cut', () => {
    const page = processor().process(job(1, { leads: [{ id: 1 }, { id: 2 }] }));
    expect(firstSeen(page, new IdSet()).out).to.equal(page.out);
  });

  it('counts records older than the bookmark as seen (the completeness check compares with total_entries)', () => {
    const seen = new IdSet();
    const page = processor().process(
      job(
        1,
        {
          leads: [
            { id: 1, updated_at: '2024-01-01T00:00:00Z' },
            { id: 2, updated_at: '2025-01-01T00:00:00Z' },
          ],
        },
        { sinceMs: Date.parse('2024-06-01T00:00:00Z') },
      ),
    );
    expect(firstSeen(page, seen).emitted).to.deep.equal([2]);
    expect(seen.size).to.equal(2);
  });

  it('emits at most `room` records', () => {
    const out = firstSeen(processor().process(job(1, { leads: [{ id: 1 }, { id: 2 }, { id: 3 }] })), new IdSet(), 2);
    expect(out.emitted).to.deep.equal([1, 2]);
    expect(lines(out.out).map((l) => l.record.id)).to.deep.equal([1, 2]);
  });

  it('reports the ids of a walk-only stream, which has no lines to cut', () => {
    const seen = new IdSet();
    seen.add(1);
    const out = firstSeen(processor({ write: false }).process(job(1, { leads: [{ id: 1 }, { id: 2 }] })), seen);
    expect(out.emitted).to.deep.equal([2]);
    expect(out.out.byteLength).to.equal(0);
  });
});

describe('page pool', () => {
  it('processes pages in this thread when run from TypeScript sources, as the workers would', async () => {
    const pool = new PagePool(2);
    try {
      const key = pool.configure({
        stream: 'leads',
        schema: loadSchema('leads'),
        body: { type: 'array', key: 'leads' },
        stamps: false,
        fields: null,
        write: true,
        protocol: 'singer',
      });
      const result = await pool.process({ ...job(1, { leads: [{ id: 1 }] }), key });
      expect(result.ids).to.deep.equal([1]);
    } finally {
      await pool.close();
    }
  });

  it('checks a catalog’s own keywords in this thread too, ajv loaded for them before the stream’s pages', async () => {
    const pool = new PagePool(2);
    try {
      const schema = loadSchema('leads');
      const key = pool.configure({
        stream: 'leads',
        schema: { ...schema, properties: { ...schema.properties, id: { type: 'integer', minimum: 2 } } },
        body: { type: 'array', key: 'leads' },
        stamps: false,
        fields: null,
        write: true,
        protocol: 'singer',
      });
      const result = await pool.process({ ...job(1, { leads: [{ id: 1 }, { id: 2 }] }), key });
      expect(result.ids).to.deep.equal([2]);
      expect(result.withoutId).to.equal(1);
    } finally {
      await pool.close();
    }
  });
});

describe('page pool, compiled, with its worker threads', () => {
  it('shares one stream’s pages among the workers, answering each page with its own records', async () => {
    // The compiled pool (npm test builds first): only compiled code can start the worker threads.
    const { PagePool: CompiledPool } = (await import(new URL('../../dist/src/sync/page-pool.js', import.meta.url).href)) as {
      PagePool: typeof PagePool;
    };
    const pool = new CompiledPool(2);
    try {
      const key = pool.configure({
        stream: 'leads',
        schema: loadSchema('leads'),
        body: { type: 'array', key: 'leads' },
        stamps: false,
        fields: null,
        write: true,
        protocol: 'singer',
      });
      const pages = Array.from({ length: 40 }, (_, i) => i + 1);
      const results = await Promise.all(pages.map((n) => pool.process({ ...job(n, { leads: [{ id: n }, { id: 1000 + n }] }), key })));
      expect(results.map((r) => r.ids)).to.deep.equal(pages.map((n) => [n, 1000 + n]));
      expect(results.map((r) => lines(r.out).map((l) => l.record.id))).to.deep.equal(pages.map((n) => [n, 1000 + n]));
      expect(pool.processed.reduce((a, b) => a + b, 0)).to.equal(40);
      for (const [worker, count] of pool.processed.entries()) expect(count, `pages processed by worker ${worker}`).to.be.greaterThan(0);
    } finally {
      await pool.close();
    }
  });
});
