import { expect } from 'chai';
import { walkPages, type PageInfo, type WalkOptions } from '../../src/walker.js';

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
