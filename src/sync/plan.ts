/**
 * What one run reads of a stream and of the children its walk drives, decided before any request from the
 * catalog's methods, the state and the settings. Each member keeps its own bookmark, so the parent is walked
 * from the earliest `since` of itself and its children; a child whose bookmark is missing (a first run, a
 * failed child, a stream Airbyte cleared) makes the walk whole, and the parent still emits only what changed
 * since its own. docs/behaviour.md#lists-under-a-record says the same for users.
 */
import { childKind, findsDeletions, followsChanges, parentKeyOf, sweeps } from '../graph.js';
import type { SelectedStream } from '../protocol/catalog.js';
import { bookmarkOf, laterOf, type TapState } from '../protocol/state.js';
import type { ChildReads } from './context.js';

const HOUR = 3_600_000;

/** What the plan reads of the run: its state, start_date, the sweep schedule, and whether tables are versioned. */
export interface PlanInput {
  state: TapState;
  startDate?: string;
  sweepIntervalDays: number;
  /** The signpost (sync start): a sweep is remembered at it, versions are made of it. */
  startedAt: Date;
  /** Table versions are written (activate_version, in a protocol that has them). */
  versions: boolean;
  /** Deletions are found (setting deletions): a stream the API filters is walked whole on the sweep schedule. */
  deletions: boolean;
  /**
   * A column a stream's catalog must declare for its deletions to be found (Airbyte's `_ab_cdc_deleted_at`:
   * it sends no SCHEMA, and a destination typed from a catalog without it would load a tombstone as nulls).
   */
  deletedAtDeclared?: string;
}

export interface RootPlan {
  replicationKey?: string;
  since?: string;
  version?: number;
  /** Walked whole though the API could filter it, to find deletions (its bookmark remembers when). */
  sweep?: boolean;
}

export interface ChildPlan {
  reads: ChildReads;
  sweep: boolean;
  since?: string;
  version?: number;
  activates: boolean;
}

export interface WalkPlan {
  walks: boolean;
  walkSince?: string;
  /** The walk's pages report each record's timestamp: a child chooses the parents that changed. */
  stamps: boolean;
}

/**
 * A stream read for itself: incremental from the later of its bookmark and start_date, or whole (versioned).
 * Where the API filters the stream (tickets, invoices), an incremental walk does not list every id: to find
 * deletions it is walked whole on the sweep schedule, emitting still only what changed.
 */
export function planRoot(selected: SelectedStream, input: PlanInput): RootPlan {
  const { def, method, walkOnly } = selected;
  if (walkOnly) return {};
  const replicationKey = method === 'INCREMENTAL' ? def.replicationKey : undefined;
  const filtered = replicationKey !== undefined && def.serverFilter !== undefined;
  return {
    replicationKey,
    since: replicationKey ? laterOf(bookmarkOf(input.state, def.name), input.startDate) : undefined,
    version: input.versions && method === 'FULL_TABLE' ? input.startedAt.getTime() : undefined,
    sweep:
      filtered &&
      findsDeletionsIn(selected, input) &&
      sweepDue(input.state.bookmarks[def.name]?.swept_at, input.sweepIntervalDays, input.startedAt),
  };
}

/**
 * Whether this run finds deletions in a stream (deletions.ts), the one place it is decided: the setting, a
 * stream that can (graph.ts findsDeletions) read incrementally, a catalog that declares the tombstones'
 * column where the protocol needs it, and for a child, no table version that already replaces its table
 * at each sweep (activate_version).
 */
export function findsDeletionsIn({ def, method, schema, walkOnly }: SelectedStream, input: PlanInput): boolean {
  if (!input.deletions || walkOnly || method !== 'INCREMENTAL' || !findsDeletions(def)) return false;
  if (input.deletedAtDeclared !== undefined && schema.properties?.[input.deletedAtDeclared] === undefined) return false;
  return childKind(def) === undefined || !input.versions;
}

/**
 * A child: FULL_TABLE reads it whole, every run. INCREMENTAL reads it under the parents updated since its own
 * bookmark (or start_date); a child that must be swept (graph.sweeps) is read whole instead when a sweep is
 * due, and not at all between sweeps when its parent cannot say what changed (products).
 */
export function planChild({ def, method }: SelectedStream, input: PlanInput): ChildPlan {
  const whole = (sweep: boolean): ChildPlan => {
    const version = input.versions ? input.startedAt.getTime() : undefined;
    return { reads: 'whole', sweep, version, activates: version !== undefined };
  };
  if (method === 'FULL_TABLE') return whole(false);
  const bookmark = input.state.bookmarks[def.name];
  if (sweeps(def) && sweepDue(bookmark?.swept_at, input.sweepIntervalDays, input.startedAt)) return whole(true);
  const kept = typeof bookmark?.version === 'number' && input.versions && sweeps(def) ? bookmark.version : undefined;
  if (!followsChanges(def)) return { reads: 'none', sweep: false, version: kept, activates: false };
  // A bookmark on another key (a state from before child bookmarks, edited by hand) is not this child's.
  const own = bookmark?.replication_key === parentKeyOf(def) ? bookmarkOf(input.state, def.name) : undefined;
  return { reads: 'changed', sweep: false, since: laterOf(own, input.startDate), version: kept, activates: false };
}

/**
 * Whether a sweep is due: none yet, or the last one started `days` ago, less an hour a day (a daily run that
 * starts a little earlier than the last does not put a weekly sweep off by a day). 0 days: every run.
 */
export function sweepDue(sweptAt: unknown, days: number, startedAt: Date): boolean {
  // Every run, even one started within a second of the last (the signpost may lean back to the server's clock).
  if (days === 0) return true;
  const last = typeof sweptAt === 'string' ? Date.parse(sweptAt) : NaN;
  if (Number.isNaN(last)) return true;
  return startedAt.getTime() - last >= days * 23 * HOUR;
}

/**
 * The walk of the parent: whole where the parent or one child needs every record, else from the earliest
 * `since` among them; not at all when the parent is only walked for children that read nothing this run.
 */
export function planWalk(root: SelectedStream, rootPlan: RootPlan, children: readonly ChildPlan[]): WalkPlan {
  const needs: (string | undefined)[] = [];
  if (!root.walkOnly) needs.push(root.method === 'FULL_TABLE' || rootPlan.sweep ? undefined : rootPlan.since);
  for (const child of children) if (child.reads !== 'none') needs.push(child.reads === 'whole' ? undefined : child.since);
  const stamps = children.some((child) => child.reads === 'changed' && child.since !== undefined);
  if (needs.length === 0) return { walks: false, stamps };
  if (needs.includes(undefined)) return { walks: true, stamps };
  const earliest = Math.min(...needs.map((since) => Date.parse(since!)));
  return { walks: true, walkSince: new Date(earliest).toISOString(), stamps };
}
