/**
 * The walk of a stream read for itself: its pages in order, each page's records written by its kind
 * (kinds/registry.ts), then the children of the page's records read by theirs; walked once more when the
 * API announced more records than the walk saw.
 */
import type { Params } from '../api/http.js';
import { limitReached } from './run-mode.js';
import { noteNewest, recordsOf } from './emit.js';
import { askedPageSize, readPages } from './read-pages.js';
import type { NumberedPage, StreamRun } from './context.js';
import { kindOf, rootKindOf } from './kinds/registry.js';

/**
 * Records deleted during a walk shift later ones onto pages already read. Where the API reports
 * total_entries, fewer ids than it announced means some were passed over: walk once more (ids already
 * emitted are not emitted again).
 */
export async function walk(run: StreamRun): Promise<void> {
  const { stream } = run;
  const { log } = run.sync;
  const name = stream.ledger.stream;
  const announced = await walkOnce(run);
  // A walk cut off by the API's pages (walker.ts onTruncated) is not whole: no ACTIVATE_VERSION, no deletions.
  if (stream.truncated) run.cutShort = true;
  if (announced === undefined || stream.seen.size >= announced) return;
  log.warning(`stream ${name}: the API announced ${announced} records but the walk saw ${stream.seen.size}; walking once more`);
  log.metric({ type: 'counter', metric: 'records_missing', value: announced - stream.seen.size, tags: { stream: name, walk: 1 } });
  await walkOnce(run);
  if (stream.seen.size >= announced) return;
  run.cutShort = true;
  log.metric({ type: 'counter', metric: 'records_missing', value: announced - stream.seen.size, tags: { stream: name, walk: 2 } });
  log.warning(
    `stream ${name}: still ${announced - stream.seen.size} fewer records than announced after a second walk ` +
      '(records deleted during the sync are not listed any more; the rest will come with the next run)',
  );
}

/** One walk of the stream's pages; returns the total_entries that its first page announced, if any. */
async function walkOnce(run: StreamRun): Promise<number | undefined> {
  const { sync, stream } = run;
  const kind = rootKindOf(stream.selected.def);
  let announced: number | undefined;
  for await (const page of readPages(stream, stream.selected.def.path, listParams(run), sync, { sinceMs: run.sinceMs })) {
    if (page.number === 1) {
      announced = page.totalEntries;
      await estimate(run, page);
    }
    noteNewest(run, page.newestMs);
    await kind.writePage(run, page);
    for (const child of run.children) {
      const childKind = kindOf(child.output.selected.def);
      if (childKind.role === 'child') await childKind.readUnder(run, child, page);
    }
    // The record limit of --test: the walk stops, and the count of an unfinished walk means nothing.
    if (limitReached(sync.mode, recordsOf(stream))) return undefined;
    // A parent walked only for its children stops once none of them reads any more (each ended).
    if (stream.selected.walkOnly && run.children.every((child) => child.ended !== undefined)) return undefined;
  }
  return announced;
}

/**
 * Before the first record, how many the stream is about to emit (Airbyte's ESTIMATE), once a run: what its
 * first page announced (total_entries, else total_pages times the page's size), where it emits every record
 * it walks (a full refresh, or a walk the API filters at the stream's own bookmark).
 */
async function estimate(run: StreamRun, page: NumberedPage): Promise<void> {
  const { selected } = run.stream;
  const emitsWalk = run.since === undefined || (selected.def.serverFilter !== undefined && run.walkSince === run.since);
  if (run.estimated || selected.walkOnly || !emitsWalk) return;
  run.estimated = true;
  const size = page.totalPages === 1 ? page.count : (page.perPage ?? page.count);
  const rows = page.totalEntries ?? (page.totalPages === undefined ? undefined : page.totalPages * size);
  if (rows !== undefined) await run.sync.writer.estimate(run.stream.ledger.stream, rows, run.sync.clock.now());
}

function listParams(run: StreamRun): Params {
  const { def } = run.stream.selected;
  const filter = def.serverFilter && run.walkSince ? { [def.serverFilter]: run.walkSince } : {};
  return { per_page: askedPageSize(run.sync.settings), ...def.params, ...filter };
}
