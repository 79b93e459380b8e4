/**
 * The stream graph, as data: which stream is read under which (a child under its parent's records), and
 * what that means for replication. The sync (src/sync/) reads a parent once for itself and its selected
 * children; the catalogs (Singer's and Airbyte's) describe each stream from here. How children are read, and
 * what each costs: docs/api.md#child-resources and the README's "Lists under a record".
 */
import { keyPropertiesOf, STREAMS, streamByName, type ChildKind, type ReplicationMethod, type StreamDef } from './streams.js';

/** The child kind of a stream read under another, undefined for the others. */
export function childKind(def: StreamDef): ChildKind | undefined {
  return def.kind.type === 'child' ? def.kind : undefined;
}

/** The stream a child stream is read under; undefined for the others. */
export function parentOf(def: StreamDef): string | undefined {
  return childKind(def)?.parent;
}

/** The streams read under `parent`'s records, in the stream table's order. */
export function childrenOf(parent: string): StreamDef[] {
  return STREAMS.filter((def) => parentOf(def) === parent);
}

/**
 * Whether a child is also read under every parent on a schedule (a sweep, setting sweep_interval_days):
 * nothing says a change to its records moves its parent's updated_at, so reading it under the parents that
 * changed alone could miss a change for good.
 */
export function sweeps(def: StreamDef): boolean {
  const kind = childKind(def);
  return kind !== undefined && kind.movesParent !== true;
}

/** Whether a child can follow its parent's changes: the parent's records say when they changed (products do not). */
export function followsChanges(def: StreamDef): boolean {
  const parent = parentOf(def);
  return parent !== undefined && streamByName(parent)?.replicationKey !== undefined;
}

/**
 * How a stream is replicated, the one place it is decided: the method asked, where the stream can do it;
 * else INCREMENTAL where its records carry a replication key, or where it is a child (INCREMENTAL for a
 * child: read under the parents that changed, and swept on a schedule where it must be); FULL_TABLE
 * otherwise. A child asked FULL_TABLE is read whole, under every parent, each sync. Undefined: INCREMENTAL
 * was asked of a stream that cannot do it (the caller decides: the Singer catalog refuses it, an Airbyte
 * read falls back to a full refresh).
 */
export function replicationOf(def: StreamDef, asked?: ReplicationMethod): ReplicationMethod | undefined {
  if (childKind(def)) return asked ?? 'INCREMENTAL';
  const method = asked ?? (def.replicationKey ? 'INCREMENTAL' : 'FULL_TABLE');
  return method === 'INCREMENTAL' && !def.replicationKey ? undefined : method;
}

/**
 * The Airbyte sync modes a stream can honour: incremental needs a cursor in its records (its own updated_at:
 * a destination's dedup ranks rows by it) and a state of its own, which children keep too; a child without a
 * timestamp of its own (worksheet results, patches) is offered full_refresh only, read whole, and so is one
 * whose parent cannot say what changed (product_serials: between sweeps it would miss a new product's).
 */
export function airbyteIncremental(def: StreamDef): boolean {
  return def.replicationKey !== undefined && (childKind(def) === undefined || followsChanges(def));
}

/** The replication key a child's bookmark holds: its parent's, named as `<parent>.<key>` (tickets.updated_at). */
export function parentKeyOf(def: StreamDef): string | undefined {
  const parent = parentOf(def);
  const key = parent === undefined ? undefined : streamByName(parent)?.replicationKey;
  return parent === undefined || key === undefined ? undefined : `${parent}.${key}`;
}

/**
 * Whether deletions can be found in a stream (docs/behaviour.md#deleted-records): its records carry a
 * timestamp (it is read incrementally) and one id each, and some of its reads list every record the API
 * holds: a stream walked for itself, or a child swept under every parent (customer_phones,
 * product_serials). ticket_comments is never swept; two children are keyed by several properties.
 */
export function findsDeletions(def: StreamDef): boolean {
  const everyRecordRead = childKind(def) === undefined || sweeps(def);
  return everyRecordRead && def.replicationKey !== undefined && keyPropertiesOf(def).length === 1;
}
