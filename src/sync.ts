/**
 * The sync: every selected stream walked at once (the HTTP client bounds requests in flight and their
 * rate), each stream's records emitted in page order after its SCHEMA, STATE after each stream and once
 * more after the last RECORD. A stream the token may not read is skipped with a WARNING; a stream that
 * fails does not stop the others, and the run then ends with an error that names it.
 *
 * Incremental streams start from the later of their bookmark and start_date, filtered by the server
 * (tickets, invoices) or here (the others: every page is read, only changed records are emitted). A
 * bookmark moves only when its stream's walk has finished, and never past the time the sync started: the
 * API's order is undocumented, so a bookmark taken mid-walk could skip records on pages not yet read.
 */
import { KEY_PROPERTIES, type SelectedStream } from './catalog.js';
import { TapError } from './errors.js';
import { ApiError, type HttpClient } from './http.js';
import { log, metric } from './log.js';
import { IdSet } from './idset.js';
import { PagePool } from './page-pool.js';
import { firstSeen, type PageResult } from './pages.js';
import type { ResolvedSettings } from './settings.js';
import { bookmarkOf, setBookmark, type StateKeeper } from './state.js';
import { walkPages, type PageInfo } from './walker.js';
import type { MessageWriter } from './writer.js';

const STREAMS_AT_ONCE = 4;
const MAX_PREFETCH = 16;

export interface SyncOptions {
  client: HttpClient;
  writer: MessageWriter;
  streams: readonly SelectedStream[];
  settings: ResolvedSettings;
  /** The state the run started from, updated as streams finish (read by the signal handler too). */
  state: StateKeeper;
  /** At most this many records per stream (`--test`); no STATE is written then. */
  recordLimit?: number;
  /** The signpost: no bookmark moves past it. Defaults to the time runSync is called. */
  startedAt?: Date;
  /** Where pages are parsed and serialised; runSync makes (and closes) one when none is given. */
  pool?: PagePool;
}

export interface StreamResult {
  stream: string;
  status: 'synced' | 'skipped' | 'failed';
  records: number;
  pages: number;
  duplicates: number;
  error?: string;
}

export async function runSync(options: SyncOptions): Promise<StreamResult[]> {
  if (!options.pool) {
    const pool = new PagePool();
    try {
      return await runSync({ ...options, pool });
    } finally {
      await pool.close();
    }
  }
  const startedAt = options.startedAt ?? new Date();
  const parents = options.streams.filter((s) => !s.def.parent);
  // At most STREAMS_AT_ONCE streams at once, each fetching up to PREFETCH pages ahead: enough to keep every
  // request slot busy, and a bound on the pages held in memory while a slow target reads.
  const results = (
    await mapConcurrently(parents, Math.min(options.settings.max_concurrency, STREAMS_AT_ONCE), async (selected) => {
      const children = options.streams.filter((s) => s.def.parent === selected.def.name);
      const streamResults = await syncStream(selected, children, options as Sync, startedAt);
      if (streamResults[0]!.status === 'synced' && options.recordLimit === undefined) {
        await options.writer.state(options.state.value);
      }
      return selected.walkOnly ? streamResults.slice(1) : streamResults;
    })
  ).flat();
  // stdout closed (the target died): one clear error, not one per stream.
  if (options.writer.failed) throw options.writer.failed;
  if (options.recordLimit === undefined) await options.writer.state(options.state.value);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    throw new TapError(
      `${failed.length} stream(s) failed: ${failed.map((r) => `${r.stream} (${r.error})`).join('; ')}. ` +
        'The other streams were synced; run again to retry.',
    );
  }
  return results;
}


/** A stream as the sync drives it: its selection, its key in the page pool, its counters. */
interface Emitter {
  selected: SelectedStream;
  key: number;
  result: StreamResult;
  /** Ids the stream has seen in the run. */
  seen: IdSet;
}

type Sync = SyncOptions & { pool: PagePool };

function emitter(selected: SelectedStream, pool: PagePool, version?: number): Emitter {
  const { def } = selected;
  const key = pool.configure({
    stream: def.name,
    schema: selected.schema,
    arrayKey: def.arrayKey,
    wrapperKey: def.wrapperKey,
    fields: selected.fields ? [...selected.fields] : null,
    replicationKey: selected.method === 'INCREMENTAL' ? def.replicationKey : undefined,
    version,
    write: !selected.walkOnly,
  });
  return { selected, key, seen: new IdSet(), result: { stream: def.name, status: 'synced', records: 0, pages: 0, duplicates: 0 } };
}

/** Syncs a stream and its selected children; returns the stream's result first, then the children's. */
async function syncStream(selected: SelectedStream, children: readonly SelectedStream[], options: Sync, startedAt: Date): Promise<StreamResult[]> {
  const { def } = selected;
  const { writer, settings, state, pool } = options;
  const replicationKey = selected.method === 'INCREMENTAL' ? def.replicationKey : undefined;
  const since = replicationKey ? laterOf(bookmarkOf(state.value, def.name), settings.start_date) : undefined;
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  const version = !replicationKey && settings.activate_version && !selected.walkOnly ? startedAt.getTime() : undefined;
  const self = emitter(selected, pool, version);
  const kids = children.map((child) => emitter(child, pool));
  let newestMs: number | undefined;
  const started = Date.now();

  try {
    if (!selected.walkOnly) await writer.schema(def.name, selected.schema, KEY_PROPERTIES, replicationKey ? [replicationKey] : undefined);
    for (const kid of kids) await writer.schema(kid.selected.def.name, kid.selected.schema, KEY_PROPERTIES);
    // ACTIVATE_VERSION at the start only on the stream's first sync (there is no table yet to empty).
    if (version !== undefined && !(def.name in state.value.bookmarks)) await writer.activateVersion(def.name, version);
    if (since !== undefined) {
      log.info(`stream ${def.name}: records updated since ${since}${def.serverFilter ? '' : ' (filtered here: the API cannot)'}`);
    }

    const params = { per_page: settings.page_size, ...def.params, ...(def.serverFilter && since ? { [def.serverFilter]: since } : {}) };
    const walkOnce = async (): Promise<number | undefined> => {
      let reportedTotal: number | undefined;
      for await (const page of walk(self, def.path, params, options, sinceMs)) {
        if (writer.failed) throw writer.failed;
        if (page.number === 1) reportedTotal = page.totalEntries;
        if (page.newestMs !== undefined && (newestMs === undefined || page.newestMs > newestMs)) newestMs = page.newestMs;
        const emitted = await emit(writer, self, page, options.recordLimit);
        if (kids.length > 0) await syncChildren(kids, emitted, options);
        if (options.recordLimit !== undefined && self.result.records >= options.recordLimit) return undefined;
      }
      return reportedTotal;
    };

    const reportedTotal = await walkOnce();
    // Records deleted during the walk shift later ones onto pages already read. Where the API reports
    // total_entries, fewer ids than it announced means some were passed over: walk once more (ids already
    // emitted are not emitted again).
    if (reportedTotal !== undefined && self.seen.size < reportedTotal) {
      log.warning(`stream ${def.name}: the API announced ${reportedTotal} records but the walk saw ${self.seen.size}; walking once more`);
      metric({ type: 'counter', metric: 'records_missing', value: reportedTotal - self.seen.size, tags: { stream: def.name, walk: 1 } });
      await walkOnce();
      if (self.seen.size < reportedTotal) {
        metric({ type: 'counter', metric: 'records_missing', value: reportedTotal - self.seen.size, tags: { stream: def.name, walk: 2 } });
        log.warning(
          `stream ${def.name}: still ${reportedTotal - self.seen.size} fewer records than announced after a second walk ` +
            '(records deleted during the sync are not listed any more; the rest will come with the next run)',
        );
      }
    }

    // A parent walked only for its children emitted nothing: its bookmark must not move.
    if (replicationKey && options.recordLimit === undefined && !selected.walkOnly) {
      // Never past the sync's start: records changed during the walk are read again next time.
      const reached = newestMs === undefined ? undefined : new Date(Math.min(newestMs, startedAt.getTime())).toISOString();
      const next = laterOf(since, reached);
      if (next !== undefined) setBookmark(state, def.name, next);
    }
    if (version !== undefined && options.recordLimit === undefined) {
      await writer.activateVersion(def.name, version);
      state.value.bookmarks[def.name] = { ...state.value.bookmarks[def.name], version };
    }
  } catch (error) {
    if (error instanceof ApiError && error.kind === 'unauthorized' && self.result.pages === 0) {
      const needs = def.permission ? ` (this stream needs ${def.permission})` : '';
      log.warning(
        `stream ${def.name} skipped: the API refused the token on ${def.path} with HTTP 401${needs}. ` +
          `Grant the permission to the token's user, or deselect the stream. ${error.detail ?? ''}`.trim(),
      );
      for (const e of [self, ...kids]) e.result.status = 'skipped';
    } else {
      if (!(error instanceof TapError || error instanceof ApiError)) throw error;
      if (writer.failed) throw writer.failed;
      for (const e of [self, ...kids]) {
        e.result.status = 'failed';
        e.result.error = error.message;
      }
      log.error(error.message);
    }
  } finally {
    for (const e of selected.walkOnly ? kids : [self, ...kids]) {
      metric({ type: 'counter', metric: 'record_count', value: e.result.records, tags: { stream: e.result.stream } });
    }
    metric({ type: 'timer', metric: 'sync_duration', value: (Date.now() - started) / 1000, tags: { stream: def.name } });
  }
  for (const e of [self, ...kids]) {
    if (e.result.duplicates > 0) {
      log.info(`stream ${e.result.stream}: ${e.result.duplicates} duplicate record(s) dropped (same id seen earlier in this run)`);
    }
  }
  return [self.result, ...kids.map((k) => k.result)];
}

/** The child streams' records of the parent records just emitted: every page of each, in parent order. */
async function syncChildren(kids: Emitter[], parentIds: readonly (number | string)[], options: Sync): Promise<void> {
  const { writer, settings } = options;
  for (const kid of kids) {
    const { def } = kid.selected;
    const params = { per_page: settings.page_size, ...def.params };
    const perParent = await Promise.all(
      parentIds.map(async (id) => {
        const pages: PageResult[] = [];
        for await (const page of walk(kid, def.path.replace('{id}', encodeURIComponent(String(id))), params, options)) pages.push(page);
        return pages;
      }),
    );
    for (const pages of perParent) for (const page of pages) await emit(writer, kid, page, options.recordLimit);
  }
}

/**
 * A walk of a stream's pages: each fetched as bytes, then parsed, filtered and serialised by the page
 * pool as soon as it arrives (pages fetched ahead are processed ahead too); yielded in page order.
 */
function walk(e: Emitter, path: string, params: Record<string, string | number | undefined>, options: Sync, sinceMs?: number) {
  const { client, settings, pool, recordLimit } = options;
  const stream = e.selected.def.name;
  const fetchPage = async (page: number): Promise<PageResult & PageInfo> => {
    for (let attempt = 1; ; attempt++) {
      const body = await client.getBytes(path, { ...params, page }, { stream, page });
      const result = await pool.process({ key: e.key, page, body, timeExtracted: new Date().toISOString(), sinceMs });
      if (result.invalid === 'json' && attempt < 3) {
        log.warning(`stream ${stream}, GET ${path} page ${page}: HTTP 200 with an invalid JSON body; fetching it again`);
        continue;
      }
      if (result.invalid === 'json') throw new TapError(`stream ${stream}: GET ${path} page ${page} answered invalid JSON ${attempt} times.`);
      if (result.invalid === 'no-array') {
        throw new TapError(
          `stream ${stream}: GET ${path} page ${page} answered without a "${e.selected.def.arrayKey}" array; ` +
            'check that base_url points at the API root (…/api/v1).',
        );
      }
      return result;
    }
  };
  // --test counts records across pages: read one page at a time then.
  const prefetch = recordLimit === undefined ? Math.min(settings.max_concurrency, MAX_PREFETCH) : 1;
  return walkPages(fetchPage, { stream, path, prefetch });
}

/** Writes a page's records but those emitted before (and beyond `recordLimit`); returns the ids written. */
async function emit(writer: MessageWriter, e: Emitter, page: PageResult, recordLimit?: number): Promise<(number | string)[]> {
  const { out, emitted, duplicates } = firstSeen(page, e.seen, recordLimit === undefined ? undefined : recordLimit - e.result.records);
  e.result.pages++;
  e.result.duplicates += duplicates;
  if (page.withoutId > 0) log.warning(`stream ${e.result.stream}: page ${page.page} holds ${page.withoutId} element(s) without an id; skipped`);
  await writer.lines(out);
  e.result.records += emitted.length;
  return emitted;
}

/** Maps items with at most `limit` calls in flight, results in item order; the first error rejects. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/** The later of two RFC 3339 times (either may be missing), as an ISO string in UTC. */
function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  const times = [a, b].filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}
