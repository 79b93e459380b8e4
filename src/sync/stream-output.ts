/**
 * A stream's output, the part every stream kind shares: what a stream's run holds, and the path of its pages
 * from the API to stdout (fetched, processed in the page pool, cut of ids already written, widened where
 * they drifted, written).
 */
import type { JsonSchema, SelectedStream } from '../protocol/catalog.js';
import type { RunMaps } from '../maps/run-maps.js';
import { ApiError, type Checked, type HttpClient, type Params } from '../api/http.js';
import type { Drift } from '../records/conform.js';
import { AnnouncedSchema } from '../records/drift.js';
import { IdSet } from '../records/idset.js';
import { REPORT } from '../error-policy.js';
import { TapError } from '../errors.js';
import { log } from '../output/log.js';
import type { PagePool } from './page-pool.js';
import type { ProtocolName } from '../protocol/messages.js';
import type { RunProgress, StreamProgress } from '../output/progress.js';
import { firstSeen, type PageJob, type PageOutput, type PageResult, type StreamSpec } from './pages.js';
import type { RunMode } from '../command/run-mode.js';
import type { Clock } from '../clock.js';
import type { ResolvedSettings } from '../command/settings.js';
import type { StateKeeper } from '../protocol/state.js';
import type { NamedList } from '../streams.js';
import { walkPages, type FetchPage, type Shrink } from './walker.js';
import type { MessageWriter } from '../protocol/writer.js';

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
  /** The run's one clock (the HTTP client's and the ledgers' too). */
  clock: Clock;
  /** The stream maps and flattening, when the settings ask for them (run-maps.ts). */
  maps?: RunMaps;
}

/** A page as a walk yields it: processed, and numbered (its logical page). */
export type NumberedPage = PageResult & { number: number };

/** A stream as the run writes it: its selection, its keys in the page pool, its counters, the ids it has seen. */
export interface StreamOutput {
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
  /** Records of a parent walked only for its children (not selected): not written, so not in its ledger. */
  walked: number;
  /** A child's parents whose children it has read (a parent listed twice is read once). */
  parentsRead: IdSet;
  /** The table version its records carry (activate_version, a full-table stream). */
  version?: number;
}

/**
 * Bytes of page bodies a stream may fetch ahead: pages of ordinary records are far smaller and keep the
 * run's page count as their bound; pages of large records (up to max_response_mb) are fetched fewer ahead,
 * so that the resident size follows this, not the server (docs/benchmarks.md, memory).
 */
const PAGE_BYTES_AHEAD = 16 * 1024 * 1024;

export interface StreamRun {
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
  /** A selected child is read under every parent (ChildList.everyParent): every parent is listed. */
  everyParent?: boolean;
}

export function streamOutput(
  selected: SelectedStream,
  { pool, progress, maps }: SyncContext,
  protocol: ProtocolName,
  version?: number,
): StreamOutput {
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
    keyProperties: def.keyProperties,
    recordArrays: def.recordArrays,
    madeKey: def.madeKey,
    parentField: def.kind.type === 'child' ? def.kind.parentField : undefined,
    maps: maps?.settings,
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
    parentsRead: new IdSet(),
    walked: 0,
    version,
  };
}

export function noteNewest(run: StreamRun, newestMs: number | undefined): void {
  if (newestMs !== undefined && (run.newestMs === undefined || newestMs > run.newestMs)) run.newestMs = newestMs;
}

/** per_page to send: page_size, or none when it is 0. */
export function askedPageSize(settings: ResolvedSettings): number | undefined {
  return settings.page_size > 0 ? settings.page_size : undefined;
}

/**
 * The pages of one walk: each fetched as bytes and handed to the page pool (parsed, filtered and framed
 * as RECORD lines in a worker as soon as it arrives), yielded in page order. A page the pool cannot read
 * goes back to the HTTP client's retry loop: fetched again when its JSON does not parse, a failure when
 * it holds no record array. A page too heavy to answer in time makes the walk ask smaller pages.
 */
export function readPages(
  output: StreamOutput,
  path: string,
  params: Params,
  sync: SyncContext,
  { sinceMs, parentId }: Pick<PageJob, 'sinceMs' | 'parentId'> = {},
) {
  const { def } = output.selected;
  const { per_page: pageSize, ...query } = params;
  const expected = `a "${def.arrayKey}" array; check that base_url points at the API root (…/api/v1)`;
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
    expectedPageSize: def.pageSize,
    unpaged: def.unpaged,
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
export async function processBody(sync: SyncContext, job: Omit<PageJob, 'extractedAt'>, expected: string): Promise<Checked<PageResult>> {
  const result = await sync.pool.process({ ...job, extractedAt: sync.clock.now() });
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
  return mode.recordLimit === undefined ? undefined : mode.recordLimit - recordsOf(output);
}

/** Writes a page's records but those emitted before (and beyond the record limit); returns the ids written. */
export async function emitPage(sync: SyncContext, output: StreamOutput, page: NumberedPage): Promise<(number | string)[]> {
  const { out, emitted } = takePage(sync, output, page);
  await announceDrift(sync, output, page.drifts);
  await sync.writer.lines(out);
  count(output, emitted.length);
  return emitted;
}

/** Before a page is written: the stream's schema widened where its records need it, and announced again. */
export async function announceDrift(sync: SyncContext, output: StreamOutput, drifts: readonly Drift[]): Promise<void> {
  if (drifts.length === 0) return;
  const widened = output.announced.take(drifts);
  if (widened) await writeSchemas(sync.writer, sync.maps, output.selected, widened);
}

/**
 * The SCHEMA messages of a stream whose records conform to `schema`: its own, or, with stream maps, one
 * per output stream (none for a dropped one), each with the schema and key its map makes.
 */
export async function writeSchemas(
  writer: MessageWriter,
  maps: RunMaps | undefined,
  selected: SelectedStream,
  schema: JsonSchema,
): Promise<void> {
  const stream = schema === selected.schema ? selected : { ...selected, schema };
  if (!maps) return writer.schema(stream);
  for (const map of maps.outputs(selected.def, schema))
    await writer.schema(stream, { stream: map.alias, schema: map.schema, keyProperties: map.keyProperties });
}

/** ACTIVATE_VERSION for a stream, or for each of its output streams with stream maps. */
export async function activateVersions(sync: SyncContext, selected: SelectedStream, version: number): Promise<void> {
  const names = sync.maps ? sync.maps.outputs(selected.def, selected.schema).map((map) => map.alias) : [selected.def.name];
  for (const name of names) await sync.writer.activateVersion(name, version);
}

/** A page's records but those emitted before (and beyond the record limit), counted; the page's lines and ids to write. */
export function takePage(sync: SyncContext, output: StreamOutput, page: NumberedPage): PageOutput {
  // A stream map's expression failed on a record: the stream stops there, as the SDK's mapper does.
  if (page.failure !== undefined) throw new TapError(page.failure);
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

/** Records a stream has taken: written (its ledger's), or walked for its children. */
export function recordsOf(output: StreamOutput): number {
  return output.selected.walkOnly ? output.walked : output.ledger.records;
}

/** Counts records taken: in the ledger when written, apart when only walked. */
export function count(output: StreamOutput, records: number): void {
  if (output.selected.walkOnly) output.walked += records;
  else output.ledger.records += records;
}
