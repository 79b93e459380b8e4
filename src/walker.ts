/**
 * The page walker: page 1, then pages 2..total_pages fetched ahead (up to `prefetch` at once) and yielded
 * in page order when `meta.total_pages` is known; otherwise page after page until an empty one, or until a
 * page holds only records already seen (an endpoint that ignores `page`, such as appointment_types,
 * returns the same full list for every page number). Walks that cannot end fail with a clear error.
 */
import { TapError } from './errors.js';
import { IdSet } from './idset.js';

export interface Page {
  number: number;
  /** The elements of the page's array, as the API sent them (possibly wrapped). */
  elements: unknown[];
  totalPages?: number;
  totalEntries?: number;
}

export interface WalkOptions {
  /** The stream's name and path, for messages. */
  stream: string;
  path: string;
  /** Key of the record array in the response body. */
  arrayKey: string;
  /** Pages requested ahead of the one being consumed, when total_pages is known. */
  prefetch: number;
  /** The identity of an element, to recognise a page that repeats the previous one. */
  identify: (element: unknown) => unknown;
  /** A walk longer than this is an API that never ends: fail instead of looping. */
  maxPages?: number;
}

export const DEFAULT_MAX_PAGES = 200_000;

export async function* walkPages(fetchBody: (page: number) => Promise<unknown>, options: WalkOptions): AsyncGenerator<Page> {
  const maxPages = options.maxPages ?? DEFAULT_MAX_PAGES;
  const fetchPage = async (n: number): Promise<Page> => toPage(await fetchBody(n), n, options);

  const first = await fetchPage(1);
  yield first;
  if (first.elements.length === 0) return;

  if (first.totalPages !== undefined) {
    let last = first.totalPages;
    const growthLimit = 2 * first.totalPages + 10;
    let requested = 1;
    const ahead: Promise<Page>[] = [];
    const fill = () => {
      while (ahead.length < options.prefetch && requested < last) {
        requested++;
        checkBound(requested, maxPages, options);
        const pending = fetchPage(requested);
        pending.catch(() => undefined); // rejections surface when the page is awaited in order
        ahead.push(pending);
      }
    };
    fill();
    while (ahead.length > 0) {
      const page = await ahead.shift()!;
      yield page;
      if (page.elements.length === 0) return; // the data shrank during the walk
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
  for (const element of first.elements) seen.add(options.identify(element));
  for (let n = 2; ; n++) {
    checkBound(n, maxPages, options);
    const page = await fetchPage(n);
    if (page.elements.length === 0) return;
    const ids = page.elements.map(options.identify);
    if (ids.every((id) => seen.has(id))) return;
    for (const id of ids) seen.add(id);
    yield page;
  }
}

function toPage(body: unknown, number: number, options: WalkOptions): Page {
  const record = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : undefined;
  const elements = record?.[options.arrayKey];
  if (!Array.isArray(elements)) {
    throw new TapError(
      `stream ${options.stream}: GET ${options.path} page ${number} answered without a "${options.arrayKey}" array; ` +
        'check that base_url points at the API root (…/api/v1).',
    );
  }
  const meta = record?.meta;
  const page: Page = { number, elements };
  if (typeof meta === 'object' && meta !== null) {
    const { total_pages: totalPages, total_entries: totalEntries } = meta as Record<string, unknown>;
    if (typeof totalPages === 'number' && Number.isInteger(totalPages) && totalPages >= 0) page.totalPages = totalPages;
    if (typeof totalEntries === 'number' && Number.isInteger(totalEntries) && totalEntries >= 0) page.totalEntries = totalEntries;
  }
  return page;
}

function checkBound(page: number, maxPages: number, options: WalkOptions): void {
  if (page > maxPages) {
    throw new TapError(
      `stream ${options.stream}: GET ${options.path} still had pages after ${maxPages}; the API keeps paging without end, ` +
        'so the walk was stopped. Report this with the stream name.',
    );
  }
}
