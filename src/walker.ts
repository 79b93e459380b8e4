/**
 * The page walker: page 1, then pages 2..total_pages fetched ahead (up to `prefetch` at once) and yielded
 * in page order when `meta.total_pages` is known; otherwise page after page until an empty one, or until a
 * page holds only records already seen (an endpoint that ignores `page`, such as appointment_types,
 * returns the same full list for every page number: docs/api.md#pagination). Walks that cannot end fail
 * with a clear error.
 * It only steers: fetching and reading a page is the caller's `fetchPage`.
 */
import { TapError } from './errors.js';
import { IdSet } from './idset.js';

/** What the walker needs to know of a page. */
export interface PageInfo {
  /** Elements on the page. */
  count: number;
  /** Their identities (ids), to recognise a page that brings nothing new. */
  identities: readonly unknown[];
  totalPages?: number;
  totalEntries?: number;
}

export interface WalkOptions {
  /** The stream's name and path, for messages. */
  stream: string;
  path: string;
  /** Pages requested ahead of the one being consumed, when total_pages is known. */
  prefetch: number;
  /** A walk longer than this is an API that never ends: fail instead of looping. */
  maxPages?: number;
}

export const DEFAULT_MAX_PAGES = 200_000;

export async function* walkPages<P extends PageInfo>(
  fetchPage: (page: number) => Promise<P>,
  options: WalkOptions,
): AsyncGenerator<P & { number: number }> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const numbered = async (n: number) => ({ ...(await fetchPage(n)), number: n });

  const first = await numbered(1);
  yield first;
  if (first.count === 0) return;

  if (first.totalPages !== undefined) {
    let last = first.totalPages;
    const growthLimit = 2 * first.totalPages + 10;
    let requested = 1;
    const ahead: Promise<P & { number: number }>[] = [];
    const fill = () => {
      while (ahead.length < options.prefetch && requested < last) {
        requested++;
        checkBound(requested, maxPages, options);
        const pending = numbered(requested);
        pending.catch(() => undefined); // rejections surface when the page is awaited in order
        ahead.push(pending);
      }
    };
    fill();
    while (ahead.length > 0) {
      const page = await ahead.shift()!;
      yield page;
      if (page.count === 0) return; // the data shrank during the walk
      // Records inserted during the walk can add pages: follow the latest total_pages, within reason.
      if (page.totalPages !== undefined && page.totalPages > last) {
        if (page.totalPages > growthLimit) {
          throw new TapError(
            `stream ${options.stream}: GET ${options.path} announced ${first.totalPages} pages, then ${page.totalPages} ` +
              'during the walk; the walk was stopped instead of following a count that keeps growing. Run again; ' +
              'report it with the stream name if it persists.',
          );
        }
        last = page.totalPages;
      }
      fill();
    }
    return;
  }

  // Without total_pages: until an empty page, or a page that brings no id this walk has not seen (an
  // endpoint that ignores `page` answers the same list again; one that cycles would loop forever).
  const seen = new IdSet();
  for (const id of first.identities) seen.add(id);
  for (let n = 2; ; n++) {
    checkBound(n, maxPages, options);
    const page = await numbered(n);
    if (page.count === 0) return;
    if (page.identities.every((id) => seen.has(id))) return;
    for (const id of page.identities) seen.add(id);
    yield page;
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
