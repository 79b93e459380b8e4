/**
 * A stream's pages from the API to the page pool: each fetched as bytes and handed to the pool (parsed,
 * filtered and framed as RECORD lines in a worker as soon as it arrives), yielded in page order (walker.ts).
 */
import { ApiError, type Checked, type Params } from '../api/http.js';
import { arrayKeyOf, type Paging } from '../streams.js';
import type { NumberedPage, StreamOutput, SyncContext, SyncSettings } from './context.js';
import type { PageJob, PageResult } from './page-spec.js';
import type { Log } from '../output/log.js';
import { walkPages, type FetchPage, type Shrink } from './walker.js';

/**
 * Bytes of page bodies a stream may fetch ahead: pages of ordinary records are far smaller and keep the
 * run's page count as their bound; pages of large records (up to max_response_mb) are fetched fewer ahead,
 * so that the resident size follows this, not the server (docs/benchmarks.md, memory).
 */
const PAGE_BYTES_AHEAD = 16 * 1024 * 1024;

/** per_page to send: page_size, or none when it is 0. */
export function askedPageSize(settings: SyncSettings): number | undefined {
  return settings.page_size > 0 ? settings.page_size : undefined;
}

/**
 * The pages of one walk, in page order. A page the pool cannot read goes back to the HTTP client's retry
 * loop: fetched again when its JSON does not parse, a failure when it holds no record array. A page too
 * heavy to answer in time makes the walk ask smaller pages.
 */
export function readPages(
  output: StreamOutput,
  path: string,
  params: Params,
  sync: SyncContext,
  { sinceMs, parentId }: Pick<PageJob, 'sinceMs' | 'parentId'> = {},
): AsyncGenerator<NumberedPage> {
  const { def } = output.selected;
  const { per_page: pageSize, ...query } = params;
  const expected = `a "${arrayKeyOf(def)}" array; check that base_url points at the API root (…/api/v1)`;
  const processPage = (page: number, body: Buffer) => {
    output.largestPage = Math.max(output.largestPage, body.byteLength);
    return processBody(sync, { key: output.poolKey, page, body, sinceMs, parentId }, expected);
  };
  const fetchPage: FetchPage<PageResult> = (page, perPage, heavy) => {
    // The target stopped reading: no more requests (the run is over).
    if (sync.writer.failed) return Promise.reject(sync.writer.failed);
    return sync.client.get(path, { ...query, page, per_page: perPage }, { stream: def.name, page }, (body) => processPage(page, body), {
      heavyIsFinal: heavy === 'report',
    });
  };
  return walkPages(fetchPage, {
    stream: def.name,
    path,
    prefetch: () => Math.min(sync.prefetch(), Math.max(1, Math.floor(PAGE_BYTES_AHEAD / Math.max(1, output.largestPage)))),
    pageSize: pageSize === undefined ? undefined : Number(pageSize),
    expectedPageSize: documentedSize(def.paging),
    unpaged: def.paging.type === 'single',
    isHeavy: (error) => error instanceof ApiError && error.kind === 'heavy',
    onShrink: (shrink) => {
      reportShrink(sync.log, output, shrink);
    },
    onTruncated: () => {
      output.truncated = true;
    },
    onRepeat: (page, announced) => {
      sync.log.warning(
        `stream ${def.name}, GET ${path} page ${page}: every record of the page came on an earlier page of this walk; ` +
          `the walk ends there (the API announced ${announced} pages)`,
      );
    },
  });
}

function documentedSize(paging: Paging): number | undefined {
  return paging.type === 'counted' || paging.type === 'chained' ? paging.size : undefined;
}

/**
 * A body through the page pool, as the HTTP client's check: its records, or why not. A body that is not
 * JSON is fetched again; one without its records (`expected`: what should hold them) is a failure.
 */
export async function processBody(sync: SyncContext, job: Omit<PageJob, 'extractedAt'>, expected: string): Promise<Checked<PageResult>> {
  const result = await sync.pool.process({ ...job, extractedAt: sync.clock.now() });
  if (result.invalid === 'json') return { ok: false, retry: true, reason: 'an invalid JSON body' };
  if (result.invalid === 'no-array') return { ok: false, retry: false, reason: `a body without ${expected}` };
  return { ok: true, value: result };
}

/** One WARNING per stream the first time its pages shrink (INFO for the next times): what happened, the size now asked. */
function reportShrink(log: Log, output: StreamOutput, { from, to, error }: Shrink): void {
  // The error names the stream, the path and the page: "stream leads, GET /leads page 7: HTTP 504".
  const what = error instanceof Error ? error.message : String(error);
  if (to === undefined) {
    log.warning(
      `${what}: the endpoint did not honour per_page ${from}, so its heavy pages cannot be made smaller; retrying them as they are`,
    );
    return;
  }
  const line = `${what} at ${from} records a page; asking ${to} a page for the rest of the run (no record skipped)`;
  if (output.shrunk) log.info(line);
  else log.warning(line);
  output.shrunk = true;
}
