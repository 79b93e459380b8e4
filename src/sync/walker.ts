/**
 * The page walker: page 1, then pages 2..total_pages fetched ahead (up to `prefetch` at once) and yielded
 * in page order when `meta.total_pages` is known; otherwise page after page until an empty one, or until a
 * page holds only records already seen (an endpoint that ignores `page`, such as appointment_types,
 * returns the same full list for every page number: docs/api.md#pagination). Walks that cannot end fail
 * with a clear error. It only steers: fetching and reading a page is the caller's `fetchPage`.
 *
 * Heavy pages shrink. A page that answers 504 or no answer in time (docs/api.md#pagination) makes the
 * walk ask about half the records a page for the rest of the run (down to MIN_PAGE_SIZE), and the failed
 * page is read again as smaller pages that cover the same records. The walk still counts in the pages of
 * the size it started with, as the server answered them ("logical pages"): page p covers records
 * (p-1)*S+1 to p*S, fetched as the smaller pages that cover them. The smaller size divides S where it
 * can (100, 50, 25, 20, 10), so that they cover it exactly; where none does, a record at a boundary is
 * read twice and dropped as a duplicate. The size the server answers with is read from what came back,
 * never assumed from what was asked: where the smaller size is not honoured (the endpoint ignores
 * per_page), shrinking stops and the page is retried as any other.
 */
import { REPORT } from '../error-policy.js';
import { TapError } from '../errors.js';
import { IdSet } from '../records/idset.js';

/** What the walker needs to know of a page. */
export interface PageInfo {
  /** Elements on the page. */
  count: number;
  /** Their identities (ids), to recognise a page that brings nothing new. */
  identities: readonly unknown[];
  totalPages?: number;
  totalEntries?: number;
  /** `meta.per_page`: the page size the server says it used. */
  perPage?: number;
}

/** How a fetch treats a heavy page (504, or no answer in time): report it at once (the walk shrinks), or retry it. */
export type HeavyPages = 'report' | 'retry';

/**
 * Fetches page `page` of `perPage` records (undefined: the API's own size). With 'report', a heavy page
 * rejects at once with an error for which `isHeavy` is true.
 */
export type FetchPage<P> = (page: number, perPage: number | undefined, heavy: HeavyPages) => Promise<P>;

export interface WalkOptions {
  /** The stream's name and path, for messages. */
  stream: string;
  path: string;
  /** Pages requested ahead of the one being consumed, when total_pages is known (asked before each request). */
  prefetch: number | (() => number);
  /** The page size asked for (per_page); undefined: none is sent until a heavy page needs one. */
  pageSize?: number;
  /** The API's own page size (docs), taken as the first page's size when that page is too heavy to learn it. */
  expectedPageSize?: number;
  /** Whether an error is a heavy page reported by fetchPage. Without it, pages never shrink. */
  isHeavy?: (error: unknown) => boolean;
  /** Called when the walk shrinks its pages (the caller logs it). */
  onShrink?: (shrink: Shrink) => void;
  /** Called when a page held only records earlier pages of the walk had, which ends it (the caller logs it). */
  onRepeat?: (page: number, announced: number) => void;
  /**
   * Called when the walk ended before the end its pages announced (an empty or repeated page before
   * total_pages; without total_pages, a page past the second that repeats): it may not have listed every
   * record, so it proves no record gone (sync/deletions.ts).
   */
  onTruncated?: (page: number) => void;
  /** A walk longer than this is an API that never ends: fail instead of looping. */
  maxPages?: number;
  /** The endpoint has no pages: its first answer is the whole list. */
  unpaged?: boolean;
}

export interface Shrink {
  page: number;
  from: number;
  /** The size asked for from now on; undefined: `from` was not honoured, pages go back to the server's size. */
  to: number | undefined;
  /** Why: the error the heavy page gave. */
  error: unknown;
}

export const DEFAULT_MAX_PAGES = 200_000;
/** The smallest page a heavy page shrinks to: a page of ten records that times out is not a heavy page. */
export const MIN_PAGE_SIZE = 10;

type Numbered<P> = P & { number: number };

export async function* walkPages<P extends PageInfo>(fetchPage: FetchPage<P>, options: WalkOptions): AsyncGenerator<Numbered<P>> {
  const pages = new PageReader(fetchPage, options);
  let records = 0;
  let parts = 0;
  let totalPages: number | undefined;
  const identities: unknown[] = [];
  for await (const part of pages.parts(1)) {
    yield part;
    if (parts++ === 0) totalPages = part.totalPages;
    records += part.count;
    identities.push(...part.identities);
  }
  if (records === 0 || options.unpaged) return;
  if (totalPages !== undefined) yield* walkCounted(pages, totalPages, identities, options);
  else yield* walkUncounted(pages, identities, options);
}

/**
 * With total_pages: pages fetched ahead, yielded in order; a total_pages that grows is followed, within
 * reason. A page whose every record came on an earlier page of the walk ends it, whatever total_pages says
 * (an API that repeats a page would otherwise be walked to DEFAULT_MAX_PAGES); a moving data set shifts a
 * record or two between pages, never a whole page.
 */
async function* walkCounted<P extends PageInfo>(
  pages: PageReader<P>,
  firstTotal: number,
  firstIdentities: readonly unknown[],
  options: WalkOptions,
): AsyncGenerator<Numbered<P>> {
  const seen = new IdSet();
  for (const id of firstIdentities) seen.add(id);
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  let last = firstTotal;
  let requested = 1;
  const ahead: Promise<Numbered<P>[]>[] = [];
  const { prefetch: perStream } = options;
  const prefetch = typeof perStream === 'number' ? () => perStream : perStream;
  // Once shrunk, no logical page is read ahead: each is read part by part as it is written (parts()).
  const fill = () => {
    while (!pages.isShrunk && ahead.length < prefetch() && requested < last) {
      requested++;
      checkBound(requested, maxPages, options);
      const pending = pages.read(requested);
      pending.catch(() => undefined); // rejections surface when the page is awaited in order
      ahead.push(pending);
    }
  };
  const next = (): AsyncIterable<Numbered<P>> | Promise<Numbered<P>[]> | undefined => {
    if (ahead.length > 0) return ahead.shift()!;
    if (requested >= last) return undefined;
    requested++;
    checkBound(requested, maxPages, options);
    return pages.parts(requested);
  };
  fill();
  for (let page = next(); page !== undefined; page = next()) {
    let records = 0;
    let parts = 0;
    let total: number | undefined;
    let fresh = false;
    let number = 0;
    for await (const part of page instanceof Promise ? await page : page) {
      yield part;
      records += part.count;
      number = part.number;
      if (parts++ === 0) total = part.totalPages;
      for (const id of part.identities) if (seen.add(id)) fresh = true;
    }
    // The data shrank during the walk: records moved onto pages already read.
    if (records === 0) {
      options.onTruncated?.(number);
      return;
    }
    if (!fresh) {
      options.onRepeat?.(number, last);
      options.onTruncated?.(number);
      return;
    }
    // Records inserted during the walk can add pages: follow the latest total_pages, within reason.
    if (total !== undefined && total > last) last = grown(total, firstTotal, options);
    fill();
  }
}

/** A total_pages that grew during the walk, followed up to twice the first (and ten): beyond, the walk stops. */
function grown(total: number, firstTotal: number, options: WalkOptions): number {
  if (total <= 2 * firstTotal + 10) return total;
  throw new TapError(
    `stream ${options.stream}: GET ${options.path} announced ${firstTotal} pages, then ${total} ` +
      'during the walk; the walk was stopped instead of following a count that keeps growing. Run again; ' +
      `${REPORT} with the stream name if it persists.`,
  );
}

/**
 * Without total_pages: until an empty page, or a page that brings no id this walk has not seen (an
 * endpoint that ignores `page` answers the same list again; one that cycles would loop forever).
 */
async function* walkUncounted<P extends PageInfo>(
  pages: PageReader<P>,
  firstIdentities: readonly unknown[],
  options: WalkOptions,
): AsyncGenerator<Numbered<P>> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const seen = new IdSet();
  for (const id of firstIdentities) seen.add(id);
  for (let n = 2; ; n++) {
    checkBound(n, maxPages, options);
    const parts = await pages.read(n);
    const identities = parts.flatMap((part) => part.identities);
    if (identities.length === 0) return;
    if (identities.every((id) => seen.has(id))) {
      // Page 2 repeating page 1 is an endpoint that ignores `page`; a later repeat, a walk cut off.
      if (n > 2) options.onTruncated?.(n);
      return;
    }
    for (const id of identities) seen.add(id);
    yield* parts;
  }
}

/**
 * Reads logical pages: at the size the server first answered with, or, once a heavy page shrank the walk,
 * as the smaller pages that cover them. Shared by the pages in flight: a shrink applies to the pages
 * read after it.
 */
class PageReader<P extends PageInfo> {
  /** The page size the server answered with before any shrink (the logical page); known after page 1. */
  private logical: number | undefined;
  /** The size asked for now. */
  private asked: number | undefined;
  private shrunk = false;
  /** False once a smaller size was asked and not honoured: shrinking cannot help this endpoint. */
  private shrinkable: boolean;

  constructor(
    private readonly fetchPage: FetchPage<P>,
    private readonly options: WalkOptions,
  ) {
    this.asked = options.pageSize;
    this.shrinkable = options.isHeavy !== undefined;
  }

  /** Whether the walk reads smaller pages than its logical ones (a logical page is then several answers). */
  get isShrunk(): boolean {
    return this.shrunk;
  }

  /** Logical page `page`, all its parts (see parts()). */
  async read(page: number): Promise<Numbered<P>[]> {
    const parts: Numbered<P>[] = [];
    for await (const part of this.parts(page)) parts.push(part);
    return parts;
  }

  /**
   * Logical page `page` as it arrives: one page, or the smaller pages that cover it, each yielded as soon as
   * it is read (a shrunk logical page of large records would otherwise be held whole); each part numbered
   * `page`, total_pages in logical pages. A part that fails heavy shrinks the walk further, and the rest of
   * the logical page is read at the smaller size, from the smaller page that holds its first record not yet
   * read (where the sizes do not align, a few records come twice, dropped as duplicates).
   */
  async *parts(page: number): AsyncGenerator<Numbered<P>> {
    let read = 0; // records of this logical page already yielded
    for (;;) {
      const size = this.shrunk ? this.asked! : undefined;
      try {
        const parts = size === undefined ? [this.whole(page)] : this.covering(page, size, read);
        for await (const part of parts) {
          read += part.count;
          yield { ...part, totalPages: this.logicalTotal(part, size), number: page };
        }
        return;
      } catch (error) {
        if (error instanceof NotHonoured) {
          // Back to the pages the server answers, retried as any failure: shrinking cannot help here.
          this.options.onShrink?.({ page, from: size!, to: undefined, error });
          this.shrinkable = false;
          this.shrunk = false;
          this.asked = this.options.pageSize;
          continue;
        }
        if (!this.shrinkable || !this.options.isHeavy!(error)) throw error;
        this.shrink(page, size ?? this.logical ?? this.asked ?? this.options.expectedPageSize ?? MIN_PAGE_SIZE * 2, error);
      }
    }
  }

  /** total_pages of a part fetched at `size` (undefined: the logical size), in logical pages. */
  private logicalTotal(part: P, size: number | undefined): number | undefined {
    if (part.totalPages === undefined || size === undefined) return part.totalPages;
    if (part.totalEntries !== undefined) return Math.ceil(part.totalEntries / this.logical!);
    return Math.ceil((part.totalPages * size) / this.logical!);
  }

  private async whole(page: number): Promise<P> {
    const part = await this.fetchPage(page, this.asked, this.heavyPages(this.asked));
    // The server's own page size, from page 1: meta.per_page, else its count (exact when more pages follow).
    if (page === 1 && this.logical === undefined && part.count > 0) this.logical = part.perPage ?? part.count;
    return part;
  }

  /** The pages of `size` records that cover logical page `page` after its first `skip` records, in order. */
  private async *covering(page: number, size: number, skip: number): AsyncGenerator<P> {
    const logical = this.logical!;
    const from = Math.floor(((page - 1) * logical + skip) / size) + 1;
    const to = Math.ceil((page * logical) / size);
    for (let n = from; n <= to; n++) {
      const part = await this.fetchPage(n, size, this.heavyPages(size));
      // Not honoured: the answer is not the page asked for (the endpoint ignores per_page).
      if (part.count > size || (part.perPage !== undefined && part.perPage !== size)) throw new NotHonoured();
      yield part;
      if (part.count < size) break; // the end of the data
    }
  }

  /** Heavy pages are reported while the walk can still shrink below `size`. */
  private heavyPages(size: number | undefined): HeavyPages {
    return this.shrinkable && (size === undefined || size > MIN_PAGE_SIZE) ? 'report' : 'retry';
  }

  /** Halves the size asked for, from the size that was too heavy (pages read at once may report it together). */
  private shrink(page: number, heavySize: number, error: unknown): void {
    this.logical ??= heavySize; // page 1 itself was heavy: its size is the logical one
    const to = smaller(this.logical, heavySize);
    if (this.shrunk && to >= this.asked!) return; // another page already shrank the walk as far
    const from = this.shrunk ? this.asked! : heavySize;
    this.asked = to;
    this.shrunk = true;
    this.options.onShrink?.({ page, from, to, error });
  }
}

/**
 * About half of `size`, at least MIN_PAGE_SIZE: the largest divisor of the logical size at most half of
 * `size` when there is one that large, else half of `size`.
 */
export function smaller(logical: number, size: number): number {
  for (let d = Math.floor(size / 2); d >= MIN_PAGE_SIZE; d--) if (logical % d === 0) return d;
  return Math.max(MIN_PAGE_SIZE, Math.floor(size / 2));
}

/** A smaller page size the endpoint did not honour. */
class NotHonoured extends Error {
  constructor() {
    super('the endpoint did not honour a smaller per_page');
  }
}

function checkBound(page: number, maxPages: number, options: WalkOptions): void {
  if (page > maxPages) {
    throw new TapError(
      `stream ${options.stream}: GET ${options.path} still had pages after ${maxPages}; the API keeps paging without end, ` +
        'so the walk was stopped. Report this with the stream name.',
    );
  }
}
