import { expect } from 'chai';
import { MIN_PAGE_SIZE, smaller, walkPages, type HeavyPages, type PageInfo, type Shrink, type WalkOptions } from '../../src/sync/walker.js';

const options: WalkOptions = { stream: 's', path: '/s', prefetch: 3 };

type Body = { items: { id: number }[]; meta?: { total_pages?: number } };
type Page = PageInfo & { number: number; elements: unknown[] };

/** What the page processor reports of a body of the API's shape. */
function info(body: Body): PageInfo & { elements: unknown[] } {
  return { count: body.items.length, identities: body.items.map((r) => r.id), totalPages: body.meta?.total_pages, elements: body.items };
}

async function collect(fetchBody: (page: number) => Promise<Body>, extra: Partial<WalkOptions> = {}): Promise<Page[]> {
  const pages: Page[] = [];
  for await (const page of walkPages(async (n) => info(await fetchBody(n)), { ...options, ...extra })) pages.push(page);
  return pages;
}

const records = (page: number, size = 2) => Array.from({ length: size }, (_, i) => ({ id: (page - 1) * size + i + 1 }));

describe('walker: page walks and their stop rules', () => {
  it('says when a walk ended before the end its pages announced (it proves no record gone); not for an endpoint that ignores page', async () => {
    const truncated: number[] = [];
    const onTruncated = (page: number) => truncated.push(page);
    // total_pages 4, page 3 repeats page 2: ended at 3.
    await collect(async (n) => ({ items: records(n === 3 ? 2 : n), meta: { total_pages: 4 } }), { onTruncated, prefetch: 1 });
    // total_pages 4, page 3 empty: ended at 3.
    await collect(async (n) => ({ items: n === 3 ? [] : records(n), meta: { total_pages: 4 } }), { onTruncated, prefetch: 1 });
    expect(truncated).to.deep.equal([3, 3]);
    // No total_pages: page 2 repeating page 1 is the endpoint ignoring page (whole); page 3 repeating page 2 is not.
    await collect(async () => ({ items: records(1) }), { onTruncated });
    await collect(async (n) => ({ items: n < 4 ? records(n) : [] }), { onTruncated });
    expect(truncated).to.deep.equal([3, 3]);
    await collect(async (n) => ({ items: records(Math.min(n, 2)) }), { onTruncated });
    expect(truncated).to.deep.equal([3, 3, 3]);
  });

  it('stops at meta.total_pages without asking for a page past it', async () => {
    const asked: number[] = [];
    const pages = await collect(async (n) => {
      asked.push(n);
      return { items: records(n), meta: { total_pages: 4, page: n } };
    });
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2, 3, 4]);
    expect([...asked].sort()).to.deep.equal([1, 2, 3, 4]);
  });

  it('yields prefetched pages in page order even when later pages answer first', async () => {
    const pages = await collect(async (n) => {
      await new Promise((r) => setTimeout(r, (10 - n) * 3)); // page 9 answers before page 2
      return { items: records(n), meta: { total_pages: 9 } };
    });
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  it('keeps at most `prefetch` pages in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    await collect(async (n) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      await new Promise((r) => setTimeout(r, 2));
      inFlight--;
      return { items: records(n), meta: { total_pages: 12 } };
    });
    expect(peak).to.equal(3);
  });

  it('follows a total_pages that grows during the walk', async () => {
    const pages = await collect(async (n) => ({ items: records(n), meta: { total_pages: n < 3 ? 3 : 5 } }), { prefetch: 1 });
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('without meta, walks until an empty page', async () => {
    const asked: number[] = [];
    const pages = await collect(async (n) => {
      asked.push(n);
      return { items: n <= 3 ? records(n) : [] };
    });
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2, 3]);
    expect(asked).to.deep.equal([1, 2, 3, 4]);
  });

  it('stops when an endpoint ignores `page` and repeats the same list', async () => {
    const asked: number[] = [];
    const pages = await collect(async (n) => {
      asked.push(n);
      return { items: records(1, 5) };
    });
    expect(pages.map((p) => p.number)).to.deep.equal([1]);
    expect(asked).to.deep.equal([1, 2]);
  });

  it('stops when an endpoint cycles through pages it already served', async () => {
    const asked: number[] = [];
    const pages = await collect(async (n) => {
      asked.push(n);
      return { items: records(((n - 1) % 2) + 1) }; // pages 1, 2, 1, 2, ...
    });
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2]);
    expect(asked).to.deep.equal([1, 2, 3]);
  });

  it('fails with a clear error when total_pages keeps growing', async () => {
    let error: Error | undefined;
    try {
      await collect(async (n) => ({ items: records(n), meta: { total_pages: 3 + n * 5 } }), { prefetch: 1 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/announced 8 pages, then 2\d+ during the walk; the walk was stopped/);
  });

  it('stops at an empty first page', async () => {
    const pages = await collect(async () => ({ items: [], meta: { total_pages: 0 } }));
    expect(pages).to.have.length(1);
    expect(pages[0]!.elements).to.deep.equal([]);
  });

  it('fails with a clear error instead of paging without end', async () => {
    let error: Error | undefined;
    try {
      await collect(async (n) => ({ items: records(n) }), { maxPages: 50 });
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/stream s: GET \/s still had pages after 50/);
  });

  it('surfaces a failed prefetched page when its turn comes, without an unhandled rejection', async () => {
    const seen: number[] = [];
    let error: Error | undefined;
    try {
      for await (const page of walkPages(async (n) => {
        if (n === 3) throw new Error('page 3 broke');
        return info({ items: records(n), meta: { total_pages: 5 } });
      }, options)) {
        seen.push(page.number);
      }
    } catch (e) {
      error = e as Error;
    }
    expect(seen).to.deep.equal([1, 2]);
    expect(error?.message).to.equal('page 3 broke');
  });
});

/**
 * A server of `total` records with ids 1..total, paging at the size asked (or `fixed` when it ignores
 * per_page, or at most `cap`), whose pages of more than `heavy` records answer as too heavy.
 */
function server(total: number, options: { defaultSize: number; heavy?: number; fixed?: number; cap?: number; meta?: boolean }) {
  const asked: [number, number | undefined][] = [];
  const fetchPage = async (page: number, perPage: number | undefined, heavy: HeavyPages) => {
    asked.push([page, perPage]);
    const size = options.fixed ?? Math.min(perPage ?? options.defaultSize, options.cap ?? Infinity);
    const from = (page - 1) * size;
    const items = Array.from({ length: Math.max(0, Math.min(size, total - from)) }, (_, i) => ({ id: from + i + 1 }));
    if (options.heavy !== undefined && items.length > options.heavy) {
      throw heavy === 'report' ? new HeavyPage() : new Error(`page ${page} of ${size}: HTTP 504, still failing after 8 attempts`);
    }
    const meta = options.meta === false ? undefined : { total_pages: Math.ceil(total / size) };
    return { ...info({ items, meta }), perPage: options.meta === false ? undefined : size };
  };
  return { fetchPage, asked };
}

class HeavyPage extends Error {
  constructor() {
    super('HTTP 504');
  }
}

const ids = (pages: Page[]) => pages.flatMap((p) => p.identities as number[]);
const shrinking: Partial<WalkOptions> = { isHeavy: (e) => e instanceof HeavyPage };

describe('walker: heavy pages shrink', () => {
  for (const meta of [true, false]) {
    it(`reads every record when pages over 30 records are too heavy, halving the page size (${meta ? 'with' : 'without'} total_pages)`, async () => {
      const { fetchPage, asked } = server(437, { defaultSize: 100, heavy: 30, meta });
      const shrinks: Shrink[] = [];
      const pages: Page[] = [];
      for await (const page of walkPages(fetchPage, { ...options, ...shrinking, pageSize: 100, onShrink: (s) => shrinks.push(s) })) {
        pages.push(page);
      }
      expect([...new Set(ids(pages))].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 437 }, (_, i) => i + 1));
      expect(shrinks.map((s) => [s.from, s.to])).to.deep.equal([
        [100, 50],
        [50, 25],
      ]);
      expect(ids(pages)).to.have.length(437); // no record read twice: 25 and 50 divide 100
      expect(asked.filter(([, size]) => size === 25).length).to.be.within(18, 20); // 437 records, 25 a page
    });
  }

  it('re-maps a failing page in the middle of a walk to the smaller pages that cover the same records', async () => {
    // The first 80 records are light; a page holding any of the others is too heavy above 20 records.
    const asked: [number, number | undefined][] = [];
    const fetchPage = async (page: number, perPage: number | undefined, heavy: HeavyPages) => {
      asked.push([page, perPage]);
      const size = perPage ?? 50;
      const from = (page - 1) * size;
      const items = Array.from({ length: Math.max(0, Math.min(size, 300 - from)) }, (_, i) => ({ id: from + i + 1 }));
      if (from + items.length > 80 && items.length > 20 && heavy === 'report') throw new HeavyPage();
      return info({ items, meta: { total_pages: Math.ceil(300 / size) } });
    };
    const pages: Page[] = [];
    for await (const page of walkPages(fetchPage, { ...options, ...shrinking, pageSize: 50, prefetch: 1 })) pages.push(page);
    // Every record, in order. Page 2 of 50 (records 51-100) failed: read as pages of 25; page 3 (51-75) was
    // read, page 4 (76-100) failed, and the rest of page 2 was read as pages of 10 from page 8 (71-80), the
    // one that holds record 76: 71-75 came twice; nothing else did.
    const all = ids(pages);
    expect([...new Set(all)]).to.deep.equal(Array.from({ length: 300 }, (_, i) => i + 1));
    expect(all.filter((id, i) => all.indexOf(id) !== i)).to.deep.equal([71, 72, 73, 74, 75]);
    expect(asked.slice(0, 5)).to.deep.equal([
      [1, 50],
      [2, 50],
      [3, 25],
      [4, 25],
      [8, 10],
    ]);
    expect(pages.map((p) => p.number).filter((n, i, all) => all.indexOf(n) === i)).to.deep.equal([1, 2, 3, 4, 5, 6]);
  });

  it('once shrunk, hands over each smaller page as it arrives and reads no logical page ahead', async () => {
    // Pages over 10 records are too heavy: every logical page of 50 is five pages of 10.
    const events: string[] = [];
    const fetchPage = async (page: number, perPage: number | undefined, heavy: HeavyPages) => {
      const size = perPage ?? 50;
      if (size > 10 && heavy === 'report') throw new HeavyPage();
      events.push(`fetch ${page}`);
      const from = (page - 1) * size;
      const items = Array.from({ length: Math.max(0, Math.min(size, 200 - from)) }, (_, i) => ({ id: from + i + 1 }));
      return info({ items, meta: { total_pages: Math.ceil(200 / size) } });
    };
    const pages: Page[] = [];
    for await (const page of walkPages(fetchPage, { ...options, ...shrinking, pageSize: 50, prefetch: 4 })) {
      events.push(`got ${ids([page])[0]!}`);
      pages.push(page);
    }
    expect(ids(pages)).to.deep.equal(Array.from({ length: 200 }, (_, i) => i + 1));
    // Each page of 10 is handed over before the next one is asked for.
    expect(events).to.deep.equal(Array.from({ length: 20 }, (_, i) => [`fetch ${i + 1}`, `got ${i * 10 + 1}`]).flat());
  });

  it('stops shrinking where the endpoint ignores per_page, and retries the page as it is', async () => {
    // Pages of 25 whatever is asked; page 3 (records 51-75) is too heavy.
    const asked: [number, number | undefined][] = [];
    const fetchPage = async (page: number, perPage: number | undefined, heavy: HeavyPages) => {
      asked.push([page, perPage]);
      if (page === 3) throw heavy === 'report' ? new HeavyPage() : new Error('page 3: HTTP 504, still failing after 8 attempts');
      const items = Array.from({ length: Math.max(0, Math.min(25, 300 - (page - 1) * 25)) }, (_, i) => ({ id: (page - 1) * 25 + i + 1 }));
      return { ...info({ items, meta: { total_pages: 12 } }), perPage: 25 };
    };
    const shrinks: Shrink[] = [];
    let error: Error | undefined;
    try {
      for await (const page of walkPages(fetchPage, {
        ...options,
        ...shrinking,
        pageSize: 100,
        prefetch: 1,
        onShrink: (s) => shrinks.push(s),
      })) {
        expect(page.number).to.be.below(3);
      }
    } catch (e) {
      error = e as Error;
    }
    expect(shrinks.map((s) => [s.from, s.to])).to.deep.equal([
      [25, 12],
      [12, undefined],
    ]); // 25 has no divisor from 10 to 12: 12, and a record read twice at each boundary
    expect(error?.message).to.equal('page 3: HTTP 504, still failing after 8 attempts');
    expect(asked.at(-1)).to.deep.equal([3, 100]); // back to the page as first asked, retried as any other
  });

  it('reads a capped per_page by what came back, not by what was asked', async () => {
    const { fetchPage } = server(230, { defaultSize: 25, cap: 50 });
    const pages: Page[] = [];
    for await (const page of walkPages(fetchPage, { ...options, pageSize: 100 })) pages.push(page);
    expect(ids(pages)).to.deep.equal(Array.from({ length: 230 }, (_, i) => i + 1));
    expect(pages.map((p) => p.number)).to.deep.equal([1, 2, 3, 4, 5]);
  });

  it('never shrinks below MIN_PAGE_SIZE: a page that is still too heavy is retried, then fails', async () => {
    const { fetchPage, asked } = server(100, { defaultSize: 100, heavy: 3 });
    let error: Error | undefined;
    try {
      for await (const page of walkPages(fetchPage, { ...options, ...shrinking, pageSize: 100 })) expect(page.count).to.be.at.most(100);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/HTTP 504, still failing/);
    expect(Math.min(...asked.map(([, size]) => size ?? 100))).to.equal(MIN_PAGE_SIZE);
  });
});

describe('walker: the smaller page size', () => {
  it('divides the first size where it can, else halves, never below MIN_PAGE_SIZE', () => {
    expect([smaller(100, 100), smaller(100, 50), smaller(100, 25), smaller(100, 20)]).to.deep.equal([50, 25, 10, 10]);
    expect(smaller(25, 25)).to.equal(12);
    expect(smaller(30, 30)).to.equal(15);
    expect(smaller(100, 10)).to.equal(MIN_PAGE_SIZE);
  });
});
