/**
 * The sync: the selected streams run at once, up to max_concurrency of them (the HTTP client bounds the
 * requests in flight and their rate), each stream in the phases of stream-run.ts; a last STATE after the
 * last RECORD. A stream that fails does not stop the others: the run then ends with an error that names it.
 *
 * The critical path: a stream whose pages carry no total_pages (a chain) reads one page at a time, so the
 * chains start first, and the streams that can fetch pages ahead fill the other request slots around them.
 * Pages fetched ahead are shared out between the running streams (a bound for the run, see below), so
 * that memory stays bounded however many run, and the last stream running alone gets them all.
 */
import { systemClock, type Clock } from '../clock.js';
import type { SelectedStream } from '../protocol/catalog.js';
import { TapError } from '../errors.js';
import type { HttpClient } from '../api/http.js';
import { PagePool } from './page-pool.js';
import { RunProgress } from '../output/progress.js';
import { syncMode, type RunMode } from './run-mode.js';
import type { StateKeeper } from '../protocol/state.js';
import type { SyncContext, SyncSettings } from './context.js';
import type { RunMaps } from '../maps/run-maps.js';
import { syncStream } from './stream-run.js';
import { childKind, parentOf } from '../graph.js';
import type { MessageWriter } from '../protocol/writer.js';
import type { Log } from '../output/log.js';

/**
 * Pages fetched ahead of the one being written, all running streams together: 16, or two per request
 * slot where there are more slots. Fewer starve the page workers on a fast API (the cpu benchmark);
 * more grow the resident size on a long sync (the memory benchmark): figures in docs/benchmarks.md.
 */
const MIN_PAGES_AHEAD = 16;
const PAGES_AHEAD_PER_REQUEST = 2;

export interface SyncOptions {
  client: Pick<HttpClient, 'get'>;
  writer: MessageWriter;
  streams: readonly SelectedStream[];
  settings: SyncSettings;
  state: StateKeeper;
  /** Default: a sync (syncMode). */
  mode?: RunMode;
  /** The signpost: no bookmark moves past it. Default: now. */
  startedAt?: Date;
  /** Where pages are parsed and serialised; runSync makes (and closes) one when none is given. */
  pool?: PagePool;
  /** The streams' ledgers (progress.ts), which the display and the summary read; made here when not given. */
  progress?: RunProgress;
  /** Default: the system's. */
  clock?: Clock;
  /** The stream maps, when the settings ask for them. */
  maps?: RunMaps;
  /** The run's log. */
  log: Log;
}

export async function runSync(options: SyncOptions): Promise<void> {
  const { client, writer, settings, state } = options;
  const pool = options.pool ?? new PagePool();
  const mode = options.mode ?? syncMode();
  const clock = options.clock ?? systemClock;
  const running = { streams: 0 };
  const pagesAhead = Math.max(MIN_PAGES_AHEAD, PAGES_AHEAD_PER_REQUEST * settings.max_concurrency);
  const sync: SyncContext = {
    client,
    writer,
    settings,
    state,
    pool,
    mode,
    startedAt: options.startedAt ?? new Date(clock.now()),
    prefetch: () => Math.min(mode.prefetch, Math.max(1, Math.ceil(pagesAhead / Math.max(1, running.streams)))),
    progress:
      options.progress ??
      new RunProgress(
        options.streams.map((s) => s.def.name),
        clock,
      ),
    clock,
    maps: options.maps,
    log: options.log,
  };
  try {
    await syncStreams(options.streams, sync, running);
  } finally {
    if (!options.pool) await pool.close();
  }
}

async function syncStreams(streams: readonly SelectedStream[], sync: SyncContext, running: { streams: number }): Promise<void> {
  const parents = criticalPathFirst(streams.filter((s) => !childKind(s.def)));
  const childrenOf = (parent: SelectedStream) => streams.filter((s) => parentOf(s.def) === parent.def.name);
  const run = async (parent: SelectedStream) => {
    running.streams++;
    try {
      await syncStream(parent, childrenOf(parent), sync);
    } finally {
      running.streams--;
    }
  };
  await forEachConcurrently(parents, sync.settings.max_concurrency, run);
  // stdout closed (the target died): one clear error, not one per stream.
  if (sync.writer.failed) throw sync.writer.failed;
  const emitted = streams.filter((s) => !s.walkOnly);
  if (sync.mode.checkpoints)
    await sync.writer.state(
      sync.state.value,
      emitted.map((s) => s.def.name),
    );
  const failed = emitted.map((s) => sync.progress.stream(s.def.name)).filter((ledger) => ledger.phase === 'failed');
  if (failed.length > 0) {
    throw new TapError(
      `${failed.length} stream(s) failed: ${failed.map((l) => `${l.stream} (${l.reason ?? 'unknown error'})`).join('; ')}. ` +
        'The other streams were synced; run again to retry.',
      1,
      'transient_error',
    );
  }
}

/** Chains first (they cannot fetch ahead), then the others in the stream table's order. */
function criticalPathFirst(parents: SelectedStream[]): SelectedStream[] {
  const chained = (s: SelectedStream) => s.def.paging.type === 'chained';
  return [...parents.filter(chained), ...parents.filter((s) => !chained(s))];
}

/** Calls `fn` on each item, at most `limit` calls in flight, in item order; the first error rejects. */
async function forEachConcurrently<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}
