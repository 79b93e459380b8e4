/**
 * One stream's run, in named phases (as the Meltano SDK's Stream.sync reads):
 *   open    the SCHEMA of the stream and of its selected children; ACTIVATE_VERSION before a full-table
 *           stream's first sync
 *   walk    every page, records emitted in page order and the children's records after each page; walked
 *           once more when the API announced more records than the walk saw
 *   finish  the bookmark moves (never past the sync's start), ACTIVATE_VERSION ends a full-table stream, and
 *           a STATE message says so
 * and `settle`, the one place that decides what an error means: the stream skipped, failed, or the run over.
 *
 * A bookmark moves only once its stream's walk has finished: the API lists records in an undocumented
 * order (docs/api.md#ordering-and-moving-data), so a bookmark taken mid-walk could skip records on pages
 * not read yet.
 */
import type { SelectedStream } from './catalog.js';
import { ApiError, type Checked, type HttpClient, type Params } from './http.js';
import type { Drift } from './conform.js';
import { AnnouncedSchema } from './drift.js';
import { IdSet } from './idset.js';
import { judge, REPORT } from './error-policy.js';
import { log, metric } from './log.js';
import type { PagePool } from './page-pool.js';
import type { ProtocolName } from './messages.js';
import { streamSeconds, type RunProgress, type StreamProgress } from './progress.js';
import { firstSeen, recordLines, type PageJob, type PageOutput, type PageResult, type StreamSpec } from './pages.js';
import { limitReached, type RunMode } from './run-mode.js';
import type { ResolvedSettings } from './settings.js';
import { bookmarkOf, laterOf, setBookmark, type StateKeeper } from './state.js';
import type { NamedList } from './streams.js';
import { walkPages, type FetchPage, type Shrink } from './walker.js';
import type { MessageWriter } from './writer.js';

/** What every stream's run shares. */
export interface SyncContext {
  /** The HTTP client (its GET is all a stream run needs). */
  client: Pick<HttpClient, 'get'>;
  writer: MessageWriter;
  settings: ResolvedSettings;
  /** The run's current state, updated as streams finish (read by the signal handler too). */
  state: StateKeeper;
  mode: RunMode;
  /** The signpost: no bookmark moves past it. */
  startedAt: Date;
  /** Where pages are parsed and serialised. */
  pool: PagePool;
  /** Pages a stream may fetch ahead now (its share of the run's, and at most the mode's). */
  prefetch: () => number;
  /** The streams' ledgers: what each did, for the METRIC lines, the progress display and the run summary. */
  progress: RunProgress;
}

/** A page as a walk yields it: processed, and numbered (its logical page). */
type NumberedPage = PageResult & { number: number };

/** A stream as the run writes it: its selection, its keys in the page pool, its counters, the ids it has seen. */
interface StreamOutput {
  selected: SelectedStream;
  poolKey: number;
  /** A named list's records are read from their details (users): the detail endpoint, and its pool key. */
  details?: { named: NamedList; key: number };
  /** Its pages shrank (a heavy page), and a WARNING said so. */
  shrunk?: boolean;
  /** Its one ledger (progress.ts): what it wrote, how far, how it ended. */
  ledger: StreamProgress;
  seen: IdSet;
  /** The schema its records conform to, widened as they drift (Singer: announced again). */
  announced: AnnouncedSchema;
  /** The largest page body it has had, bytes: pages of large records are fetched fewer ahead. */
  largestPage: number;
}

/**
 * Bytes of page bodies a stream may fetch ahead: pages of ordinary records are far smaller and keep the
 * run's page count as their bound; pages of large records (up to max_response_mb) are fetched fewer ahead,
 * so that the resident size follows this, not the server (docs/benchmarks.md, memory).
 */
const PAGE_BYTES_AHEAD = 16 * 1024 * 1024;

interface StreamRun {
  sync: SyncContext;
  stream: StreamOutput;
  children: StreamOutput[];
  /** Set when the stream is read incrementally. */
  replicationKey?: string;
  /** Records updated before this are not emitted: the later of the bookmark and start_date. */
  since?: string;
  sinceMs?: number;
  /** The table version of a full-table stream whose deletions propagate (activate_version). */
  version?: number;
  /** The newest replication-key value the walk saw, ms. */
  newestMs?: number;
  /** A detail was refused, and said so: the stream's later refusals go by without a WARNING. */
  detailRefused?: boolean;
}

/** Runs a stream and its selected children, each accounted for in its ledger (sync.progress). */
export async function syncStream(selected: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): Promise<void> {
  const run = prepare(selected, children, sync);
  try {
    await open(run);
    await walk(run);
    await finish(run);
  } catch (error) {
    settle(run, error);
  } finally {
    report(run);
  }
}

function prepare(selected: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): StreamRun {
  const { def } = selected;
  const replicationKey = selected.method === 'INCREMENTAL' ? def.replicationKey : undefined;
  const since = replicationKey ? laterOf(bookmarkOf(sync.state.value, def.name), sync.settings.start_date) : undefined;
  const protocol = sync.writer.protocol.name;
  // Table versions are Singer's (ACTIVATE_VERSION); Airbyte has no such message.
  const activate = sync.settings.activate_version && protocol === 'singer';
  const version = !replicationKey && activate && !selected.walkOnly ? sync.startedAt.getTime() : undefined;
  return {
    sync,
    stream: streamOutput(selected, sync, protocol, version),
    children: children.map((child) => streamOutput(child, sync, protocol)),
    replicationKey,
    since,
    sinceMs: since === undefined ? undefined : Date.parse(since),
    version,
  };
}

function streamOutput(selected: SelectedStream, { pool, progress }: SyncContext, protocol: ProtocolName, version?: number): StreamOutput {
  const { def } = selected;
  const spec: StreamSpec = {
    stream: def.name,
    schema: selected.schema,
    arrayKey: def.arrayKey,
    pairs: def.kind.type === 'named-list' ? def.kind.pairs : undefined,
    wrapperKey: def.wrapperKey,
    fields: selected.fields ? [...selected.fields] : null,
    replicationKey: selected.method === 'INCREMENTAL' ? def.replicationKey : undefined,
    version,
    protocol,
    write: !selected.walkOnly,
  };
  const { kind } = def;
  const details =
    kind.type === 'named-list'
      ? { named: kind, key: pool.configure({ ...spec, pairs: undefined, recordKey: kind.detail.recordKey }) }
      : undefined;
  const announced = new AnnouncedSchema(def.name, selected.schema);
  return {
    selected,
    poolKey: pool.configure(spec),
    details,
    seen: new IdSet(),
    ledger: progress.stream(def.name),
    announced,
    largestPage: 0,
  };
}

/** The outputs whose records the run writes: a parent walked only for its children writes none. */
function emittedOutputs(run: StreamRun): StreamOutput[] {
  return run.stream.selected.walkOnly ? run.children : [run.stream, ...run.children];
}

async function open(run: StreamRun): Promise<void> {
  const { writer, state } = run.sync;
  const { selected } = run.stream;
  for (const output of emittedOutputs(run)) {
    await writer.schema(output.selected);
    await writer.streamStatus(output.ledger.stream, 'STARTED');
    run.sync.progress.started(output.ledger.stream, output.announced.drifted);
  }
  // At the start only on the stream's first sync: there is no table yet to empty.
  if (run.version !== undefined && !(selected.def.name in state.value.bookmarks))
    await writer.activateVersion(selected.def.name, run.version);
  if (run.since !== undefined) {
    const where = selected.def.serverFilter ? '' : ' (filtered here: the API cannot)';
    log.info(`stream ${selected.def.name}: records updated since ${run.since}${where}`);
  }
}

/**
 * Records deleted during a walk shift later ones onto pages already read. Where the API reports
 * total_entries, fewer ids than it announced means some were passed over: walk once more (ids already
 * emitted are not emitted again).
 */
async function walk(run: StreamRun): Promise<void> {
  const { stream } = run;
  const name = stream.ledger.stream;
  const announced = await walkOnce(run);
  if (announced === undefined || stream.seen.size >= announced) return;
  log.warning(`stream ${name}: the API announced ${announced} records but the walk saw ${stream.seen.size}; walking once more`);
  metric({ type: 'counter', metric: 'records_missing', value: announced - stream.seen.size, tags: { stream: name, walk: 1 } });
  await walkOnce(run);
  if (stream.seen.size >= announced) return;
  metric({ type: 'counter', metric: 'records_missing', value: announced - stream.seen.size, tags: { stream: name, walk: 2 } });
  log.warning(
    `stream ${name}: still ${announced - stream.seen.size} fewer records than announced after a second walk ` +
      '(records deleted during the sync are not listed any more; the rest will come with the next run)',
  );
}

/** One walk of the stream's pages; returns the total_entries that its first page announced, if any. */
async function walkOnce(run: StreamRun): Promise<number | undefined> {
  const { sync, stream } = run;
  let announced: number | undefined;
  for await (const page of readPages(stream, stream.selected.def.path, listParams(run), sync, run.sinceMs)) {
    if (page.number === 1) announced = page.totalEntries;
    noteNewest(run, page.newestMs);
    const emitted = stream.details ? await emitDetails(run, page, stream.details) : await emitPage(sync, stream, page);
    await syncChildren(run, emitted);
    // The record limit of --test: the walk stops, and the count of an unfinished walk means nothing.
    if (limitReached(sync.mode, stream.ledger.records)) return undefined;
  }
  return announced;
}

/** per_page to send: page_size, or none when it is 0. */
function askedPageSize(settings: ResolvedSettings): number | undefined {
  return settings.page_size > 0 ? settings.page_size : undefined;
}

function noteNewest(run: StreamRun, newestMs: number | undefined): void {
  if (newestMs !== undefined && (run.newestMs === undefined || newestMs > run.newestMs)) run.newestMs = newestMs;
}

/**
 * A page of a list that only names its records (users: [id, name] pairs): each record the page brings is
 * read from its detail endpoint, all of the page's at once (the client bounds the requests in flight),
 * and written in the list's order. A detail the API refuses (a 4xx) is written as the list gave it,
 * with one WARNING for the stream. Returns the ids written.
 */
async function emitDetails(
  run: StreamRun,
  page: NumberedPage,
  details: NonNullable<StreamOutput['details']>,
): Promise<(number | string)[]> {
  const { sync, stream } = run;
  const { out, emitted } = takePage(sync, stream, page);
  const listed = recordLines(out);
  const records = await Promise.all(emitted.map((id, i) => readDetail(run, id, details, listed[i]!)));
  let written = 0;
  for (const detail of records) {
    noteNewest(run, detail.newestMs);
    await announceDrift(sync, stream, detail.drifts);
    await sync.writer.lines(detail.out);
    if (detail.out.byteLength > 0) written++;
  }
  stream.ledger.records += written;
  return emitted;
}

/** One record from its detail endpoint, as RECORD lines (none when older than the bookmark); `listed` when refused. */
async function readDetail(
  run: StreamRun,
  id: number | string,
  { named, key }: NonNullable<StreamOutput['details']>,
  listed: Uint8Array,
): Promise<Pick<PageResult, 'out' | 'newestMs' | 'drifts'>> {
  const { sync } = run;
  const { def } = run.stream.selected;
  const path = named.detail.path.replace('{id}', encodeURIComponent(String(id)));
  const check = (body: Buffer) => processBody(sync, { key, page: 1, body, sinceMs: run.sinceMs }, `a "${named.detail.recordKey}" object`);
  try {
    return await sync.client.get(path, {}, { stream: def.name }, check);
  } catch (error) {
    const verdict = judge(error, { at: 'detail', stream: def.name, fallback: named.pairs.join(' and ') });
    if (verdict?.decision !== 'tolerate') throw error;
    if (!run.detailRefused) log.warning(verdict.message);
    run.detailRefused = true;
    return { out: listed, drifts: [] };
  }
}

function listParams(run: StreamRun): Params {
  const { def } = run.stream.selected;
  const filter = def.serverFilter && run.since ? { [def.serverFilter]: run.since } : {};
  return { per_page: askedPageSize(run.sync.settings), ...def.params, ...filter };
}

/** The selected children's records of the parent records just emitted: every page of each, in parent order. */
async function syncChildren(run: StreamRun, parentIds: readonly (number | string)[]): Promise<void> {
  for (const child of run.children) {
    const { def } = child.selected;
    const params = { per_page: askedPageSize(run.sync.settings), ...def.params };
    const perParent = await Promise.all(
      parentIds.map(async (id) => {
        const pages: NumberedPage[] = [];
        for await (const page of readPages(child, def.path.replace('{id}', encodeURIComponent(String(id))), params, run.sync))
          pages.push(page);
        return pages;
      }),
    );
    for (const pages of perParent) for (const page of pages) await emitPage(run.sync, child, page);
  }
}

async function finish(run: StreamRun): Promise<void> {
  const { mode, writer, state, startedAt } = run.sync;
  if (!mode.checkpoints) return;
  const { name } = run.stream.selected.def;
  // A parent walked only for its children emitted nothing: its bookmark must not move.
  if (run.replicationKey && !run.stream.selected.walkOnly) {
    // Never past the sync's start: records changed during the walk are read again next time.
    const reached = run.newestMs === undefined ? undefined : new Date(Math.min(run.newestMs, startedAt.getTime())).toISOString();
    const next = laterOf(run.since, reached);
    if (next !== undefined) setBookmark(state, name, run.replicationKey, next);
  }
  if (run.version !== undefined) {
    await writer.activateVersion(name, run.version);
    state.value.bookmarks[name] = { ...state.value.bookmarks[name], version: run.version };
  }
  await writer.state(state.value, name);
  for (const output of emittedOutputs(run)) {
    await writer.streamStatus(output.ledger.stream, 'COMPLETE');
    run.sync.progress.ended(output.ledger.stream, 'synced', { bookmark: bookmarkOf(state.value, output.ledger.stream) });
  }
}

/**
 * A stream's error, as the error policy judges it (error-policy.ts): the stream (and its children) is
 * skipped or fails, and the other streams go on. A closed stdout ends the run; so does an error of any
 * other kind (a bug).
 */
function settle(run: StreamRun, error: unknown): void {
  const { def } = run.stream.selected;
  if (run.sync.writer.failed) throw run.sync.writer.failed;
  const place = {
    at: 'stream',
    stream: def.name,
    path: def.path,
    permission: def.permission,
    pagesWritten: run.stream.ledger.pages,
  } as const;
  const verdict = judge(error, place);
  if (!verdict) throw error;
  const skipped = verdict.decision === 'skip-stream';
  if (skipped) log.warning(verdict.message);
  else log.error(verdict.message);
  for (const output of [run.stream, ...run.children])
    run.sync.progress.ended(output.ledger.stream, skipped ? 'skipped' : 'failed', { reason: verdict.reason });
  void incomplete(run);
}

/** STREAM_STATUS INCOMPLETE for the stream and its children (Airbyte); a failed stdout is the run's own error. */
function incomplete(run: StreamRun): Promise<void> {
  const { writer } = run.sync;
  return Promise.all(emittedOutputs(run).map((output) => writer.streamStatus(output.ledger.stream, 'INCOMPLETE'))).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * The stream's METRIC lines, from its ledger, once: record_count (its tags the rest of the ledger: status,
 * logical pages, requests, retries, 429s, bookmark) and sync_duration.
 */
function report(run: StreamRun): void {
  for (const { ledger } of emittedOutputs(run)) {
    const { stream, records, phase: status, pages, requests, retries, throttled, bookmark, duplicates } = ledger;
    const tags = { stream, status, pages, requests, retries, throttled, ...(bookmark ? { bookmark } : {}) };
    metric({ type: 'counter', metric: 'record_count', value: records, tags });
    metric({ type: 'timer', metric: 'sync_duration', value: Math.round(streamSeconds(ledger) * 1000) / 1000, tags: { stream } });
    if (duplicates > 0) log.info(`stream ${stream}: ${duplicates} duplicate record(s) dropped (same id seen earlier in this run)`);
  }
}

/**
 * The pages of one walk: each fetched as bytes and handed to the page pool (parsed, filtered and framed
 * as RECORD lines in a worker as soon as it arrives), yielded in page order. A page the pool cannot read
 * goes back to the HTTP client's retry loop: fetched again when its JSON does not parse, a failure when
 * it holds no record array. A page too heavy to answer in time makes the walk ask smaller pages.
 */
function readPages(output: StreamOutput, path: string, params: Params, sync: SyncContext, sinceMs?: number) {
  const { def } = output.selected;
  const { per_page: pageSize, ...query } = params;
  const expected = `a "${def.arrayKey}" array; check that base_url points at the API root (…/api/v1)`;
  const processPage = (page: number, body: Buffer) => {
    output.largestPage = Math.max(output.largestPage, body.byteLength);
    return processBody(sync, { key: output.poolKey, page, body, sinceMs }, expected);
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
    expectedPageSize: def.pageSize,
    isHeavy: (error) => error instanceof ApiError && error.kind === 'heavy',
    onShrink: (shrink) => {
      reportShrink(output, shrink);
    },
  });
}

/**
 * A body through the page pool, as the HTTP client's check: its records, or why not. A body that is not
 * JSON is fetched again; one without its records (`expected`: what should hold them) is a failure.
 */
async function processBody(sync: SyncContext, job: Omit<PageJob, 'extractedAt'>, expected: string): Promise<Checked<PageResult>> {
  const result = await sync.pool.process({ ...job, extractedAt: Date.now() });
  if (result.invalid === 'json') return { ok: false, retry: true, reason: 'an invalid JSON body' };
  if (result.invalid === 'no-array') return { ok: false, retry: false, reason: `a body without ${expected}` };
  return { ok: true, value: result };
}

/** One WARNING per stream the first time its pages shrink (INFO for the next times): what happened, the size now asked. */
function reportShrink(output: StreamOutput, { from, to, error }: Shrink): void {
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

/** Records the stream may still write under the run's record limit (undefined: no limit). */
function roomLeft(mode: RunMode, output: StreamOutput): number | undefined {
  return mode.recordLimit === undefined ? undefined : mode.recordLimit - output.ledger.records;
}

/** Writes a page's records but those emitted before (and beyond the record limit); returns the ids written. */
async function emitPage(sync: SyncContext, output: StreamOutput, page: NumberedPage): Promise<(number | string)[]> {
  const { out, emitted } = takePage(sync, output, page);
  await announceDrift(sync, output, page.drifts);
  await sync.writer.lines(out);
  output.ledger.records += emitted.length;
  return emitted;
}

/** Before a page is written: the stream's schema widened where its records need it, and announced again. */
async function announceDrift(sync: SyncContext, output: StreamOutput, drifts: readonly Drift[]): Promise<void> {
  if (drifts.length === 0) return;
  const widened = output.announced.take(drifts);
  if (widened) await sync.writer.schema({ ...output.selected, schema: widened });
}

/** A page's records but those emitted before (and beyond the record limit), counted; the page's lines and ids to write. */
function takePage(sync: SyncContext, output: StreamOutput, page: NumberedPage): PageOutput {
  const taken = firstSeen(page, output.seen, roomLeft(sync.mode, output));
  sync.progress.page(output.ledger.stream, page.number, page);
  output.ledger.duplicates += taken.duplicates;
  if (page.withoutId > 0)
    log.warning(
      `stream ${output.ledger.stream}: page ${page.page} holds ${page.withoutId} element(s) without an id; skipped ` +
        `(a record without an id cannot be merged in a table): ${REPORT} with the stream name if it persists`,
    );
  return taken;
}
