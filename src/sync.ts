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
import { recordShaper, type ApiRecord, type RecordShaper } from './records.js';
import type { ResolvedSettings } from './settings.js';
import { bookmarkOf, setBookmark, type StateKeeper } from './state.js';
import { walkPages } from './walker.js';
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
  const startedAt = options.startedAt ?? new Date();
  const parents = options.streams.filter((s) => !s.def.parent);
  // At most STREAMS_AT_ONCE streams at once, each fetching up to PREFETCH pages ahead: enough to keep every
  // request slot busy, and a bound on the pages held in memory while a slow target reads.
  const results = (
    await mapConcurrently(parents, Math.min(options.settings.max_concurrency, STREAMS_AT_ONCE), async (selected) => {
      const children = options.streams.filter((s) => s.def.parent === selected.def.name);
      const streamResults = await syncStream(selected, children, options, startedAt);
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

/** One stream writing its records: its shaper, the ids it has emitted, its counters. */
interface Emitter {
  selected: SelectedStream;
  shaper: RecordShaper;
  /** The ids emitted in this run, to drop a record that a moving data set shows twice. */
  seen: IdSet;
  result: StreamResult;
  /** The table version stamped on RECORDs (ACTIVATE_VERSION), if any. */
  version?: number;
}

function emitter(selected: SelectedStream): Emitter {
  return {
    selected,
    shaper: recordShaper(selected.schema, selected.def.wrapperKey, selected.fields),
    seen: new IdSet(),
    result: { stream: selected.def.name, status: 'synced', records: 0, pages: 0, duplicates: 0 },
  };
}

/** Syncs a stream and its selected children; returns the stream's result first, then the children's. */
async function syncStream(
  selected: SelectedStream,
  children: readonly SelectedStream[],
  options: SyncOptions,
  startedAt: Date,
): Promise<StreamResult[]> {
  const { def } = selected;
  const { client, writer, settings, state } = options;
  const self = emitter(selected);
  const kids = children.map(emitter);
  const replicationKey = selected.method === 'INCREMENTAL' ? def.replicationKey : undefined;
  const since = replicationKey ? laterOf(bookmarkOf(state.value, def.name), settings.start_date) : undefined;
  const sinceMs = since === undefined ? undefined : Date.parse(since);
  let newestMs: number | undefined;
  const started = Date.now();

  try {
    if (!selected.walkOnly) await writer.schema(def.name, selected.schema, KEY_PROPERTIES, replicationKey ? [replicationKey] : undefined);
    for (const kid of kids) await writer.schema(kid.selected.def.name, kid.selected.schema, KEY_PROPERTIES);
    if (!replicationKey && settings.activate_version && !selected.walkOnly) {
      self.version = startedAt.getTime();
      // At the start only on the stream's first sync (there is no table yet to empty); always at the end.
      if (!(def.name in state.value.bookmarks)) await writer.activateVersion(def.name, self.version);
    }
    if (since !== undefined) {
      log.info(`stream ${def.name}: records updated since ${since}${def.serverFilter ? '' : ' (filtered here: the API cannot)'}`);
    }

    const params = { per_page: settings.page_size, ...def.params, ...(def.serverFilter && since ? { [def.serverFilter]: since } : {}) };
    const walkOnce = async (): Promise<number | undefined> => {
      let reportedTotal: number | undefined;
      for await (const page of walk(client, selected, params, settings)) {
        if (writer.failed) throw writer.failed;
        self.result.pages++;
        if (page.number === 1) reportedTotal = page.totalEntries;
        const timeExtracted = new Date().toISOString();
        let records = shapePage(self, page.elements, page.number);
        if (replicationKey) {
          records = records.filter((record) => {
            const at = Date.parse(record[replicationKey] as string);
            if (Number.isNaN(at)) return true; // no usable timestamp: emit rather than risk losing it
            if (newestMs === undefined || at > newestMs) newestMs = at;
            return sinceMs === undefined || at >= sinceMs;
          });
        }
        const room = options.recordLimit === undefined ? records.length : options.recordLimit - self.result.records;
        if (room < records.length) records = records.slice(0, room);
        if (!selected.walkOnly) await emit(writer, self, records, timeExtracted);
        if (kids.length > 0) await syncChildren(kids, records, options);
        if (options.recordLimit !== undefined && self.result.records >= options.recordLimit) return undefined;
      }
      return reportedTotal;
    };

    const reportedTotal = await walkOnce();
    // Records deleted during the walk shift later ones onto pages already read. Where the API reports
    // total_entries, fewer ids than it announced means some were passed over: walk once more (ids already
    // emitted are not emitted again).
    if (reportedTotal !== undefined && self.seen.size < reportedTotal) {
      const missing = reportedTotal - self.seen.size;
      log.warning(`stream ${def.name}: the API announced ${reportedTotal} records but the walk saw ${self.seen.size}; walking once more`);
      metric({ type: 'counter', metric: 'records_missing', value: missing, tags: { stream: def.name, walk: 1 } });
      await walkOnce();
      if (self.seen.size < reportedTotal) {
        metric({ type: 'counter', metric: 'records_missing', value: reportedTotal - self.seen.size, tags: { stream: def.name, walk: 2 } });
        log.warning(
          `stream ${def.name}: still ${reportedTotal - self.seen.size} fewer records than announced after a second walk ` +
            '(records deleted during the sync are not listed any more; the rest will come with the next run)',
        );
      }
    }

    if (replicationKey && options.recordLimit === undefined) {
      // Never past the sync's start: records changed during the walk are read again next time.
      const reached = newestMs === undefined ? undefined : new Date(Math.min(newestMs, startedAt.getTime())).toISOString();
      const next = laterOf(since, reached);
      if (next !== undefined) setBookmark(state, def.name, next);
    }
    if (self.version !== undefined && options.recordLimit === undefined) {
      await writer.activateVersion(def.name, self.version);
      state.value.bookmarks[def.name] = { ...state.value.bookmarks[def.name], version: self.version };
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
async function syncChildren(kids: Emitter[], parents: readonly ApiRecord[], options: SyncOptions): Promise<void> {
  const { client, writer, settings } = options;
  for (const kid of kids) {
    const { def } = kid.selected;
    const perParent = await Promise.all(
      parents.map(async (parent) => {
        const path = def.path.replace('{id}', encodeURIComponent(String(parent.id)));
        const pages: unknown[][] = [];
        const params = { per_page: settings.page_size, ...def.params };
        for await (const page of walk(client, { ...kid.selected, def: { ...def, path } }, params, settings)) {
          kid.result.pages++;
          pages.push(page.elements);
        }
        return pages;
      }),
    );
    const timeExtracted = new Date().toISOString();
    for (const pages of perParent) {
      for (const [i, elements] of pages.entries()) await emit(writer, kid, shapePage(kid, elements, i + 1), timeExtracted);
    }
  }
}

function walk(client: HttpClient, selected: SelectedStream, params: Record<string, string | number | undefined>, settings: ResolvedSettings) {
  const { def } = selected;
  return walkPages((page) => client.getJson(def.path, { ...params, page }, { stream: def.name, page }), {
    stream: def.name,
    path: def.path,
    arrayKey: def.arrayKey,
    prefetch: Math.min(settings.max_concurrency, MAX_PREFETCH),
    identify: (element) => elementId(element, def.wrapperKey),
  });
}

/** Records of a page's elements, each id once per run. */
function shapePage(e: Emitter, elements: readonly unknown[], page: number): ApiRecord[] {
  const records: ApiRecord[] = [];
  for (const element of elements) {
    const record = e.shaper.shape(element);
    if (!record) {
      log.warning(`stream ${e.result.stream}: page ${page} holds an element without an id; skipped`);
      continue;
    }
    if (!e.seen.add(record.id)) {
      e.result.duplicates++;
      continue;
    }
    records.push(record);
  }
  return records;
}

async function emit(writer: MessageWriter, e: Emitter, records: readonly ApiRecord[], timeExtracted: string): Promise<void> {
  await writer.records(e.result.stream, records, timeExtracted, e.version);
  e.result.records += records.length;
}

function elementId(element: unknown, wrapperKey: string | undefined): unknown {
  if (typeof element !== 'object' || element === null) return element;
  const record = element as Record<string, unknown>;
  if (record.id !== undefined || !wrapperKey) return record.id;
  return (record[wrapperKey] as Record<string, unknown> | undefined)?.id;
}

/** The later of two RFC 3339 times (either may be missing), as an ISO string in UTC. */
function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  const times = [a, b].filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}
