import { expect } from 'chai';
import { loadSchema } from '../../src/catalog.js';
import { PageProcessor, type StreamSpec } from '../../src/pages.js';
import { PagePool } from '../../src/page-pool.js';

const body = (value: unknown) => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value));
const lines = (out: Uint8Array) =>
  Buffer.from(out)
    .toString('utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; stream: string; record: Record<string, unknown>; time_extracted: string; version?: number });

function processor(spec: Partial<StreamSpec> = {}) {
  const p = new PageProcessor();
  p.configure(0, { stream: 'leads', schema: loadSchema('leads'), arrayKey: 'leads', fields: null, write: true, replicationKey: 'updated_at', ...spec });
  return p;
}
const job = (page: number, value: unknown, extra = {}) => ({ key: 0, page, body: body(value), timeExtracted: '2026-01-01T00:00:00.000Z', ...extra });

describe('page processor: parse, shape, dedupe, filter, serialise', () => {
  it('serialises the page’s records as RECORD lines and reports the page’s meta and ids', () => {
    const result = processor().process(job(1, { leads: [{ id: 1, updated_at: '2024-01-01T00:00:00Z' }, { id: 2 }], meta: { total_pages: 3, total_entries: 7 } }));
    expect(result).to.include({ count: 2, totalPages: 3, totalEntries: 7, duplicates: 0, seen: 2 });
    expect(result.emitted).to.deep.equal([1, 2]);
    expect(result.identities).to.deep.equal([1, 2]);
    expect(lines(result.out)).to.deep.equal([
      { type: 'RECORD', stream: 'leads', record: { id: 1, updated_at: '2024-01-01T00:00:00Z' }, time_extracted: '2026-01-01T00:00:00.000Z' },
      { type: 'RECORD', stream: 'leads', record: { id: 2 }, time_extracted: '2026-01-01T00:00:00.000Z' },
    ]);
  });

  it('drops ids already emitted by this stream in the run, across pages', () => {
    const p = processor();
    p.process(job(1, { leads: [{ id: 1 }, { id: 2 }] }));
    const second = p.process(job(2, { leads: [{ id: 2 }, { id: 3 }] }));
    expect(second.emitted).to.deep.equal([3]);
    expect(second).to.include({ duplicates: 1, seen: 3 });
  });

  it('emits only records at or after the bookmark, and reports the newest timestamp seen', () => {
    const result = processor().process(
      job(1, { leads: [{ id: 1, updated_at: '2024-01-01T00:00:00Z' }, { id: 2, updated_at: '2024-06-01T00:00:00-05:00' }, { id: 3, updated_at: '2024-03-01T00:00:00Z' }] }, {
        sinceMs: Date.parse('2024-03-01T00:00:00Z'),
      }),
    );
    expect(result.emitted).to.deep.equal([2, 3]);
    expect(result.newestMs).to.equal(Date.parse('2024-06-01T05:00:00Z'));
    expect(result.seen, 'older records count as seen: the completeness check compares with total_entries').to.equal(3);
  });

  it('stamps the version, keeps only selected fields, unwraps wrapped elements', () => {
    const p = new PageProcessor();
    p.configure(5, { stream: 'appointments', schema: loadSchema('appointments'), arrayKey: 'appointments', wrapperKey: 'appointment', fields: ['id', 'summary'], version: 42, write: true });
    const result = p.process({ ...job(1, { appointments: [{ appointment: { id: 9, summary: 's', location: 'x' } }] }), key: 5 });
    expect(lines(result.out)).to.deep.equal([{ type: 'RECORD', stream: 'appointments', record: { id: 9, summary: 's' }, time_extracted: '2026-01-01T00:00:00.000Z', version: 42 }]);
    expect(result.identities).to.deep.equal([9]);
  });

  it('emits at most `room` records, and nothing at all for a walk-only stream', () => {
    expect(processor().process(job(1, { leads: [{ id: 1 }, { id: 2 }, { id: 3 }] }, { room: 2 })).emitted).to.deep.equal([1, 2]);
    const walkOnly = processor({ write: false }).process(job(1, { leads: [{ id: 1 }] }));
    expect(walkOnly.emitted).to.deep.equal([1]);
    expect(walkOnly.out.byteLength).to.equal(0);
  });

  it('reports a body that is not JSON, and one without the record array', () => {
    expect(processor().process(job(1, '{"leads": [{"id": 1')).invalid).to.equal('json');
    expect(processor().process(job(1, { error: 'Not authorized' })).invalid).to.equal('no-array');
  });

  it('counts elements without an id, and skips them', () => {
    const result = processor().process(job(1, { leads: [{ name: 'no id' }, { id: 4 }] }));
    expect(result).to.include({ count: 2, withoutId: 1 });
    expect(result.emitted).to.deep.equal([4]);
  });
});

describe('page pool', () => {
  it('processes pages in this thread when run from TypeScript sources, as the workers would', async () => {
    const pool = new PagePool(2);
    try {
      const key = pool.configure({ stream: 'leads', schema: loadSchema('leads'), arrayKey: 'leads', fields: null, write: true });
      const result = await pool.process({ ...job(1, { leads: [{ id: 1 }] }), key });
      expect(result.emitted).to.deep.equal([1]);
    } finally {
      await pool.close();
    }
  });
});
