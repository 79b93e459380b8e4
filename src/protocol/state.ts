/**
 * The tap's state, in the shape Meltano users know and Meltano hands back:
 * {"bookmarks": {"<stream>": {"replication_key": "updated_at", "replication_key_value": "<RFC 3339>"}}}.
 */
import { UsageError } from '../errors.js';
import { isPlainObject as isObject } from '../records/json.js';
import { streamByName } from '../streams.js';
import { decodeIds } from '../records/id-ranges.js';

export interface Bookmark {
  replication_key?: string;
  replication_key_value?: string;
  [key: string]: unknown;
}

export interface TapState {
  bookmarks: Record<string, Bookmark>;
  [key: string]: unknown;
}

export const EMPTY_STATE: TapState = { bookmarks: {} };

/**
 * Checks a state file's content. Meltano may hand over `{}` or a state wrapped as {"value": {...}} by
 * older tools: both are accepted. Bookmarks of streams this tap does not know are kept as they are.
 */
export function parseState(value: unknown, file: string): TapState {
  const fail = (what: string): never => {
    throw new UsageError(
      `state file ${file}: ${what}. Expected {"bookmarks": {"<stream>": {...}}}; pass the last STATE value the target printed, or no --state for a full sync.`,
    );
  };
  if (!isObject(value)) return fail('expected a JSON object');
  const inner = isObject(value.value) && value.bookmarks === undefined ? value.value : value;
  if (inner.bookmarks === undefined) return { ...inner, bookmarks: {} };
  if (!isObject(inner.bookmarks)) return fail('"bookmarks" is not an object');
  for (const [stream, bookmark] of Object.entries(inner.bookmarks)) {
    if (!isObject(bookmark)) return fail(`the bookmark of "${stream}" is not an object`);
    const key = bookmark.replication_key_value;
    if (key !== undefined && key !== null && typeof key !== 'string') {
      return fail(`the replication_key_value of "${stream}" is not a string`);
    }
    if (typeof key === 'string' && streamByName(stream) && Number.isNaN(Date.parse(key))) {
      return fail(`the replication_key_value of "${stream}" is not an RFC 3339 date-time`);
    }
    // The ids a stream held (sync/deletions.ts): a corrupt list would make every id look deleted.
    for (const member of ['known_ids', 'missed_ids']) {
      const ids = bookmark[member];
      if (ids !== undefined && (typeof ids !== 'string' || decodeIds(ids) === undefined)) {
        return fail(`the ${member} of "${stream}" is not a list of ids as the tap writes it (remove the member to start remembering anew)`);
      }
    }
  }
  return inner as TapState;
}

/** The run's current state: what a STATE message says now. Streams update it as they finish. */
export interface StateKeeper {
  value: TapState;
}

export function stateKeeper(initial: TapState): StateKeeper {
  return { value: structuredClone(initial) };
}

/** The stream's replication_key_value, if it has one. */
export function bookmarkOf(state: TapState, stream: string): string | undefined {
  const value = state.bookmarks[stream]?.replication_key_value;
  return typeof value === 'string' ? value : undefined;
}

/** Moves a stream's bookmark: its replication key and the value reached. */
export function setBookmark(keeper: StateKeeper, stream: string, replicationKey: string, value: string): void {
  keeper.value.bookmarks[stream] = {
    ...keeper.value.bookmarks[stream],
    replication_key: replicationKey,
    replication_key_value: value,
  };
}

/** The later of two RFC 3339 times (either may be missing), as an ISO string in UTC. */
export function laterOf(a: string | undefined, b: string | undefined): string | undefined {
  const times = [a, b].filter((t): t is string => t !== undefined).map((t) => Date.parse(t));
  return times.length ? new Date(Math.max(...times)).toISOString() : undefined;
}
