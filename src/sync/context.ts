/**
 * What a sync holds: the context every stream's run shares, a stream's output (its ledger, its keys in the
 * page pool, the ids it wrote), and one run of a stream with the children it drives (a walk of a parent
 * feeds its children, and each settles on its own).
 */
import type { SelectedStream } from '../protocol/catalog.js';
import type { RunMaps } from '../maps/run-maps.js';
import type { HttpClient } from '../api/http.js';
import { AnnouncedSchema } from '../records/drift.js';
import { IdSet } from '../records/idset.js';
import type { ProtocolName } from '../protocol/messages.js';
import type { RunProgress, StreamProgress } from '../output/progress.js';
import type { Clock } from '../clock.js';
import type { StateKeeper } from '../protocol/state.js';
import type { MessageWriter } from '../protocol/writer.js';
import type { PagePool } from './page-pool.js';
import type { PageResult, StreamSpec } from './page-spec.js';
import type { RunMode } from './run-mode.js';
import type { Log } from '../output/log.js';
import { childKind } from '../graph.js';

/**
 * The settings a sync reads (the command's resolved settings have them all, defaults applied): the sync
 * names what it needs rather than reaching up into the command layer for its type.
 */
export interface SyncSettings {
  readonly page_size: number;
  readonly max_concurrency: number;
  readonly start_date?: string;
  readonly sweep_interval_days: number;
  readonly activate_version: boolean;
  readonly deletions: boolean;
  readonly deletions_max_percent: number;
}

/** What every stream's run shares. */
export interface SyncContext {
  /** The HTTP client (its GET is all a stream run needs). */
  client: Pick<HttpClient, 'get'>;
  writer: MessageWriter;
  settings: SyncSettings;
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
  /** The run's log (its lines and METRIC lines). */
  log: Log;
}

/** A page as a walk yields it: processed, and numbered (its logical page). */
export type NumberedPage = PageResult & { number: number };

/** A stream as the run writes it: its selection, its keys in the page pool, its counters, the ids it has seen. */
export interface StreamOutput {
  selected: SelectedStream;
  poolKey: number;
  /** Pool keys of the other bodies its kind reads (a named list's details), by name (kinds/). */
  extraKeys: Record<string, number>;
  /** Its pages shrank (a heavy page), and a WARNING said so. */
  shrunk?: boolean;
  /** A walk of its pages ended before the end they announced (walker.ts onTruncated): not a whole read. */
  truncated?: boolean;
  /** Its one ledger (progress.ts): what it wrote, how far, how it ended. */
  ledger: StreamProgress;
  seen: IdSet;
  /** The schema its records conform to, widened as they drift (Singer: announced again). */
  announced: AnnouncedSchema;
  /** The largest page body it has had, bytes: pages of large records are fetched fewer ahead. */
  largestPage: number;
  /** Records of a parent walked only for its children (not selected): not written, so not in its ledger. */
  walked: number;
  /** The table version its records carry (activate_version). */
  version?: number;
}

/**
 * How a child is read in one run (plan.ts): under every parent record (`whole`: FULL_TABLE, or a sweep),
 * under the parents updated since `since` (`changed`; every parent where there is no `since`), or not at all
 * (`none`: its parent cannot say what changed, and no sweep is due).
 */
export type ChildReads = 'whole' | 'changed' | 'none';

/** A child stream in one run of its parent. */
export interface ChildRun {
  output: StreamOutput;
  /** Deletions are found in it this run: its ids are remembered (deletions.ts). */
  deletions: boolean;
  reads: ChildReads;
  /** This run reads it whole on the sweep schedule (its bookmark remembers when). */
  sweep: boolean;
  /** Parents updated before this are not read under ('changed'). */
  since?: string;
  sinceMs?: number;
  /** A new table version: ACTIVATE_VERSION after the whole read (and before it, on the stream's first sync). */
  activates: boolean;
  /** The parents whose children it has read (a parent listed twice is read once). */
  parentsRead: IdSet;
  /**
   * How its run ended before its parent's walk did: an error ended its reads (`skipped`, `failed`: the parent
   * and its other children go on), or it had nothing to read (`idle`: done at the start); undefined while it reads.
   */
  ended?: 'skipped' | 'failed' | 'idle';
}

/** One run of a stream and of the children its walk drives. */
export interface StreamRun {
  sync: SyncContext;
  stream: StreamOutput;
  children: ChildRun[];
  /** Set when the stream itself is read incrementally. */
  replicationKey?: string;
  /** The stream's own records updated before this are not emitted: the later of its bookmark and start_date. */
  since?: string;
  sinceMs?: number;
  /** Whether its pages are read at all: a parent walked only for children that read none this run is not. */
  walks: boolean;
  /** What the walk asks the API (a server-side filter): the earliest `since` of the stream and its children; undefined: every record. */
  walkSince?: string;
  /** The newest replication-key value the walk saw, ms. */
  newestMs?: number;
  /**
   * The walk saw fewer records than the API announced, even walked twice (walk.ts): not a whole read, so no
   * ACTIVATE_VERSION follows it (it would delete the rows of records it missed) and no sweep counts as done.
   */
  cutShort?: boolean;
  /** Deletions are found in the stream this run: its ids are remembered (deletions.ts). */
  deletions: boolean;
  /** A walk whole on the sweep schedule, of a stream the API could filter, to find deletions (plan.ts). */
  sweep: boolean;
  /** A detail was refused, and said so: the stream's later refusals go by without a WARNING. */
  detailRefused?: boolean;
  /** Its first page was seen for an estimate of its records (walk.ts): one a run, whatever the walks. */
  estimated?: boolean;
}

/** What the page processor must know of a stream (page-spec.ts). */
export function streamSpec(
  selected: SelectedStream,
  protocol: ProtocolName,
  version: number | undefined,
  stamps: boolean,
  maps: RunMaps | undefined,
): StreamSpec {
  const { def } = selected;
  return {
    stream: def.name,
    schema: selected.schema,
    body: def.body,
    fields: selected.fields ? [...selected.fields] : null,
    replicationKey: def.replicationKey,
    version,
    protocol,
    write: !selected.walkOnly,
    keyProperties: def.keyProperties,
    parentField: childKind(def)?.parentField,
    stamps,
    maps: maps?.settings,
    customFields: selected.customFields,
  };
}

/**
 * Makes a stream's output: `spec` configured in the page pool, with `extraSpecs` (other bodies its kind
 * reads, by name), its ledger, its schema as announced.
 */
export function streamOutput(
  selected: SelectedStream,
  { pool, progress, log }: SyncContext,
  spec: StreamSpec,
  extraSpecs: Readonly<Record<string, StreamSpec>> = {},
): StreamOutput {
  const { def } = selected;
  return {
    selected,
    poolKey: pool.configure(spec),
    extraKeys: Object.fromEntries(Object.entries(extraSpecs).map(([name, extra]) => [name, pool.configure(extra)])),
    seen: new IdSet(),
    ledger: progress.stream(def.name),
    announced: new AnnouncedSchema(def.name, selected.schema, log),
    largestPage: 0,
    walked: 0,
    version: spec.version,
  };
}
