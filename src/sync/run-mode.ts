/**
 * How a run behaves, decided once by the command line: a sync, or a connection test (`--test`). The sync
 * reads these fields instead of asking which mode it is in.
 */

export interface RunMode {
  /** At most this many records per stream (`--test`); undefined in a sync. */
  readonly recordLimit: number | undefined;
  /** STATE messages are written and bookmarks move (a sync, not a test). */
  readonly checkpoints: boolean;
  /** Pages of a stream requested ahead of the one being written, at most. */
  readonly prefetch: number;
}

/** Pages fetched ahead per stream at most (the sync shares fewer out when many streams run). */
const MAX_PREFETCH = 16;

export function syncMode(): RunMode {
  return { recordLimit: undefined, checkpoints: true, prefetch: MAX_PREFETCH };
}

/** `--test`: one record per stream, pages read one at a time (records are counted across pages), no STATE. */
export const TEST_MODE: RunMode = { recordLimit: 1, checkpoints: false, prefetch: 1 };

/** Whether a stream that has emitted `records` has reached the run's record limit. */
export function limitReached(mode: RunMode, records: number): boolean {
  return mode.recordLimit !== undefined && records >= mode.recordLimit;
}
