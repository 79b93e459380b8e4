/**
 * The sync: the selected streams run at once, a few at a time (the HTTP client bounds the requests in
 * flight and their rate), each stream in the phases of stream-run.ts; a last STATE after the last RECORD.
 * A stream that fails does not stop the others: the run then ends with an error that names it.
 */
import type { SelectedStream } from './catalog.js';
import { TapError } from './errors.js';
import type { HttpClient } from './http.js';
import { PagePool } from './page-pool.js';
import { syncMode, type RunMode } from './run-mode.js';
import type { ResolvedSettings } from './settings.js';
import type { StateKeeper } from './state.js';
import { syncStream, type SyncContext, type StreamResult } from './stream-run.js';
import type { MessageWriter } from './writer.js';

export type { StreamResult } from './stream-run.js';

/**
 * Streams read at once: each fetches up to `prefetch` pages ahead, so four keep every request slot busy,
 * and the bound keeps the pages held in memory small while a slow target reads.
 */
const STREAMS_AT_ONCE = 4;

export interface SyncOptions {
  client: Pick<HttpClient, 'get'>;
  writer: MessageWriter;
  streams: readonly SelectedStream[];
  settings: ResolvedSettings;
  state: StateKeeper;
  /** Default: a sync (syncMode). */
  mode?: RunMode;
  /** The signpost: no bookmark moves past it. Default: now. */
  startedAt?: Date;
  /** Where pages are parsed and serialised; runSync makes (and closes) one when none is given. */
  pool?: PagePool;
}

export async function runSync(options: SyncOptions): Promise<StreamResult[]> {
  const { client, writer, settings, state } = options;
  const pool = options.pool ?? new PagePool();
  const sync: SyncContext = {
    client,
    writer,
    settings,
    state,
    pool,
    mode: options.mode ?? syncMode(settings.max_concurrency),
    startedAt: options.startedAt ?? new Date(),
  };
  try {
    return await syncStreams(options.streams, sync);
  } finally {
    if (!options.pool) await pool.close();
  }
}

async function syncStreams(streams: readonly SelectedStream[], sync: SyncContext): Promise<StreamResult[]> {
  const parents = streams.filter((s) => !s.def.parent);
  const childrenOf = (parent: SelectedStream) => streams.filter((s) => s.def.parent === parent.def.name);
  const atOnce = Math.min(sync.settings.max_concurrency, STREAMS_AT_ONCE);
  const results = (await mapConcurrently(parents, atOnce, (parent) => syncStream(parent, childrenOf(parent), sync))).flat();
  // stdout closed (the target died): one clear error, not one per stream.
  if (sync.writer.failed) throw sync.writer.failed;
  if (sync.mode.checkpoints) await sync.writer.state(sync.state.value);
  const failed = results.filter((r) => r.status === 'failed');
  if (failed.length > 0) {
    throw new TapError(
      `${failed.length} stream(s) failed: ${failed.map((r) => `${r.stream} (${r.error ?? 'unknown error'})`).join('; ')}. ` +
        'The other streams were synced; run again to retry.',
    );
  }
  return results;
}

/** Maps items with at most `limit` calls in flight, results in item order; the first error rejects. */
async function mapConcurrently<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = new Array<R>(items.length);
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
