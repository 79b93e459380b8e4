/**
 * Deleted records (docs/behaviour.md#deleted-records). The API lists no deletions, but a whole walk of a
 * stream lists every id the API still holds: the ids a stream held at its last whole walk are remembered in
 * its bookmark (`known_ids`, id-ranges.ts), and an id two whole walks in a row did not list is gone. The
 * first walk that misses an id only notes it (`missed_ids`): records move between pages while a walk reads
 * them, so one miss proves nothing. A walk that misses more than `deletions_max_percent` of the known ids
 * (a token that lost a permission, an API listing less than it holds) writes a WARNING and no tombstone.
 *
 * A gone id becomes a tombstone: a record of its key and the time it was found gone, in the protocol's
 * column (messages.ts RECORD_RULES.deletedAt), through the stream maps as any record.
 */
import type { Bookmark, TapState } from '../protocol/state.js';
import { RECORD_RULES, recordFraming } from '../protocol/messages.js';
import { decodeIds, encodeIds, rangeId, type RangeId } from '../records/id-ranges.js';
import { IdSet } from '../records/idset.js';
import { keyPropertiesOf } from '../streams.js';
import { dumps, parseJson, RECORD_JSON } from '../maps/pyjson.js';
import type { PyDict } from '../maps/values.js';
import type { StreamOutput, SyncContext } from './context.js';

/** The bookmark members that remember a stream's ids. */
const KNOWN_IDS = 'known_ids';
const MISSED_IDS = 'missed_ids';

/** What one walk says of the ids a stream held. */
interface Reckoning {
  /** The ids two whole walks in a row did not list: a tombstone each. */
  gone: RangeId[];
  /** The bookmark's new members. */
  remembered: { [KNOWN_IDS]: string; [MISSED_IDS]: string };
  /** Set when the walk missed too many to be trusted: the ids missed, and the ids known. */
  withheld?: { missed: number; known: number };
}

/**
 * The ids a stream holds after a walk that listed `seen`. A walk that was not whole (`whole` false: the API
 * filtered it, or it was cut short) proves nothing missing: it only adds the ids it listed.
 */
function reckon(bookmark: Bookmark | undefined, seen: Iterable<unknown>, whole: boolean, maxPercent: number): Reckoning {
  // The ids listed, each in its one form (rangeId): iterated as listed (mostly in order), not copied.
  const listed = new IdSet();
  for (const id of seen) {
    const exact = rangeId(id);
    if (exact !== undefined) listed.add(exact);
  }
  const listedIds = () => rangeIds(listed);
  const idsOf = (member: string): RangeId[] | undefined => {
    const text = bookmark?.[member];
    return typeof text === 'string' ? decodeIds(text) : undefined;
  };
  const known = idsOf(KNOWN_IDS);
  const missedBefore = idsOf(MISSED_IDS) ?? [];
  const keep = (ids: Iterable<RangeId>, missed: Iterable<RangeId>): Reckoning['remembered'] => ({
    [KNOWN_IDS]: encodeIds(ids),
    [MISSED_IDS]: encodeIds(missed),
  });
  // A first walk, or one of a state from before ids were remembered: remember, find nothing.
  if (known === undefined) return { gone: [], remembered: keep(listedIds(), []) };
  if (!whole)
    return {
      gone: [],
      remembered: keep(
        concat(known, listedIds()),
        missedBefore.filter((id) => !listed.has(id)),
      ),
    };
  const missedNow = known.filter((id) => !listed.has(id));
  // Too many missed to trust: no tombstone, every id kept; the misses still count as one (a run that lets
  // them through, deletions_max_percent 100, then finds gone those missed twice in a row).
  if (missedNow.length > (known.length * maxPercent) / 100) {
    return {
      gone: [],
      remembered: keep(concat(known, listedIds()), missedNow),
      withheld: { missed: missedNow.length, known: known.length },
    };
  }
  const wasMissed = new IdSet();
  for (const id of missedBefore) wasMissed.add(id);
  const gone = missedNow.filter((id) => wasMissed.has(id));
  const missedOnce = missedNow.filter((id) => !wasMissed.has(id));
  return { gone, remembered: keep(concat(listedIds(), missedOnce), missedOnce) };
}

/** The ids of a set that holds only ids in their one form (rangeId). */
function* rangeIds(set: IdSet): Iterable<RangeId> {
  for (const id of set) yield id as RangeId;
}

function* concat<T>(first: Iterable<T>, second: Iterable<T>): Iterable<T> {
  yield* first;
  yield* second;
}

/**
 * A stream's run's deletions: the ids its walk listed, remembered, and a tombstone for each id gone,
 * written before the STATE that forgets it; returns the stream's bookmark with its ids as they are now
 * (undefined: it has none, and finds no deletions).
 * Only a walk that listed every record (`whole`) can find an id gone: not one the API filtered (between
 * sweeps of tickets and invoices), one cut short, or a child's read under the parents that changed.
 * Without deletions, the bookmark remembers no ids.
 */
export async function findDeletions(
  sync: SyncContext,
  output: StreamOutput,
  deletions: boolean,
  whole: boolean,
): Promise<Bookmark | undefined> {
  const { state, settings, log } = sync;
  const { name } = output.selected.def;
  const bookmark = state.value.bookmarks[name];
  if (!deletions) return bookmark && withoutIds(bookmark);
  const reckoning = reckon(bookmark, output.seen, whole, settings.deletions_max_percent);
  const size = reckoning.remembered[KNOWN_IDS].length + reckoning.remembered[MISSED_IDS].length;
  if (idsBytesElsewhere(state.value, name) + size > IDS_STATE_BUDGET) {
    log.warning(
      `stream ${name}: its ids (${size} bytes) would take the ids in the state past ${IDS_STATE_BUDGET / MIB} MiB (half ` +
        'of what a state file may hold): not remembered, so no tombstones for it; set deletions to false to silence this, ' +
        'or deselect streams you do not need.',
    );
    return bookmark && withoutIds(bookmark);
  }
  if (reckoning.withheld) {
    const { missed, known } = reckoning.withheld;
    log.warning(
      `stream ${name}: the walk did not list ${missed} of the ${known} records it held before (more than ` +
        `deletions_max_percent, ${settings.deletions_max_percent}%): no tombstone written, the ids kept. A token that lost a ` +
        'permission lists less; if the records were deleted, set deletions_max_percent to 100 for the next run.',
    );
  }
  if (reckoning.gone.length > 0) {
    await sync.writer.lines(Buffer.from(tombstoneLines(sync, output, reckoning.gone, sync.clock.now()), 'utf8'));
    log.info(
      `stream ${name}: ${reckoning.gone.length} record(s) deleted from the API (not listed by two whole walks in a row): tombstones written`,
    );
    log.metric({ type: 'counter', metric: 'tombstone_count', value: reckoning.gone.length, tags: { stream: name } });
  }
  return { ...bookmark, ...reckoning.remembered };
}

/** What the ids of all streams may take of a state: half of the 16 MiB a state file may hold (command/settings.ts FILE_LIMITS). */
const MIB = 1024 * 1024;
const IDS_STATE_BUDGET = 8 * MIB;

function withoutIds(bookmark: Bookmark): Bookmark {
  return Object.fromEntries(Object.entries(bookmark).filter(([member]) => member !== KNOWN_IDS && member !== MISSED_IDS));
}

/** The characters the other streams' remembered ids take in the state. */
function idsBytesElsewhere(state: TapState, stream: string): number {
  let bytes = 0;
  for (const [name, bookmark] of Object.entries(state.bookmarks)) {
    if (name === stream) continue;
    for (const member of [KNOWN_IDS, MISSED_IDS]) if (typeof bookmark[member] === 'string') bytes += bookmark[member].length;
  }
  return bytes;
}

/**
 * The RECORD lines of a stream's tombstones: per gone id, its key and the time it was found gone (Airbyte:
 * the cursor too), through the stream's maps where it has some. A map's expression that cannot evaluate on a
 * record of its key alone leaves its property null; a filter that cannot keeps the tombstone.
 */
function tombstoneLines(sync: SyncContext, output: StreamOutput, gone: readonly RangeId[], foundAtMs: number): string {
  const { def, schema } = output.selected;
  const rules = RECORD_RULES[sync.writer.protocol.name];
  const at = JSON.stringify(new Date(foundAtMs).toISOString());
  const key = JSON.stringify(keyPropertiesOf(def)[0]);
  const cursor = rules.tombstoneCursor && def.replicationKey ? `,${JSON.stringify(def.replicationKey)}:${at}` : '';
  // The id's digits as they are: exact past 2^53.
  const texts = gone.map((id) => `{${key}:${String(id)}${cursor},${JSON.stringify(rules.deletedAt)}:${at}}`);
  const maps = sync.maps?.outputs(def, schema) ?? [{ alias: def.name, identity: true, transform: () => undefined }];
  let lines = '';
  for (const map of maps) {
    const framing = recordFraming(sync.writer.protocol.name, map.alias, undefined);
    const suffix = framing.suffix(foundAtMs);
    gone.forEach((id, i) => {
      if (map.identity) {
        lines += framing.prefix + texts[i]! + suffix;
        return;
      }
      const mapped = map.transform(parseJson(texts[i]!) as PyDict, id, true);
      if (mapped) lines += framing.prefix + dumps(mapped, RECORD_JSON) + suffix;
    });
  }
  return lines;
}
