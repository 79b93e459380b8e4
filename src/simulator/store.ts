/**
 * The live data set: per stream a sorted Int32Array of live ids plus small maps of what mutations changed
 * (revision, updated_at, created_at). Records are built from these on demand, never stored.
 */
import { CUSTOM_FIELD_STREAMS, customProperties, type CustomFieldTruth, type FieldTruth } from './custom-fields.js';
import { baseTimes, initialIds, isDisabledCustomer, isResolvedAlert, recordFor, type JsonObject } from './data.js';
import { driftOf, type AppliedDrift } from './drift.js';
import type { ChildStream } from './children.js';
import { endpoint } from './endpoints.js';
import { Gen, formatTime } from './gen.js';
import { mix } from './prng.js';
import { streamHash } from './record-context.js';
import { STREAM_NAMES, type Mutation, type MutationResult, type StreamName, type Truth, type DriftTruth } from './types.js';

/** A growable sorted list of ids. */
class IdList {
  private buf: Int32Array;
  length: number;

  constructor(initial: Int32Array) {
    this.buf = initial;
    this.length = initial.length;
  }

  view(): Int32Array {
    return this.buf.subarray(0, this.length);
  }

  max(): number {
    return this.length === 0 ? 0 : (this.buf[this.length - 1] as number);
  }

  has(id: number): boolean {
    let lo = 0;
    let hi = this.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const v = this.buf[mid] as number;
      if (v === id) return true;
      if (v < id) lo = mid + 1;
      else hi = mid - 1;
    }
    return false;
  }

  append(id: number): void {
    if (this.length === this.buf.length) {
      const bigger = new Int32Array(Math.max(16, this.buf.length * 2));
      bigger.set(this.buf);
      this.buf = bigger;
    }
    this.buf[this.length++] = id;
  }

  removeAll(ids: ReadonlySet<number>): void {
    let w = 0;
    for (let r = 0; r < this.length; r++) {
      const v = this.buf[r] as number;
      if (!ids.has(v)) this.buf[w++] = v;
    }
    this.length = w;
  }
}

interface StreamState {
  ids: IdList;
  /** Highest id ever given, so that inserts never reuse a deleted id. */
  maxId: number;
  revisions: Map<number, number>;
  updatedMs: Map<number, number>;
  createdMs: Map<number, number>;
  /** Bumped on every change; keys the caches of derived lists and pages. */
  version: number;
  mutations: number;
  /** The ids deleted by mutations, in the order deleted. */
  deleted: number[];
}

const FILTER_CACHE_ENTRIES = 32;

/** How served records differ from the generated ones: type drift, and padding to a size. */
export interface RecordShape {
  drift: number;
  recordBytes: Partial<Record<StreamName, number>>;
}

export class Store {
  private readonly streams = new Map<StreamName, StreamState>();
  private readonly filters = new Map<string, Int32Array>();
  /** Comments added to a ticket by its updates (their times), by ticket id: a comment moves its ticket's updated_at. */
  private readonly addedComments = new Map<number, number[]>();
  /** Records added under a parent since the start (addChildren), by `<child stream>|<parent id>`. */
  private readonly addedChildren = new Map<string, number>();
  private lastStampMs = 0;

  constructor(
    readonly seed: number,
    counts: Record<StreamName, number>,
    private readonly shape: RecordShape = { drift: 0, recordBytes: {} },
  ) {
    for (const name of STREAM_NAMES) {
      const ids = new IdList(initialIds(seed, name, counts[name]));
      this.streams.set(name, {
        ids,
        maxId: ids.max(),
        revisions: new Map(),
        updatedMs: new Map(),
        createdMs: new Map(),
        version: 0,
        mutations: 0,
        deleted: [],
      });
    }
  }

  private state(stream: StreamName): StreamState {
    return this.streams.get(stream) as StreamState;
  }

  version(stream: StreamName): number {
    return this.state(stream).version;
  }

  ids(stream: StreamName): Int32Array {
    return this.state(stream).ids.view();
  }

  has(stream: StreamName, id: number): boolean {
    return this.state(stream).ids.has(id);
  }

  record(stream: StreamName, id: number): JsonObject {
    return this.served(stream, id).record;
  }

  /** A record as the API serves it, with the drift it was served with (the `drift` option), if any. */
  served(stream: StreamName, id: number): { record: JsonObject; drift?: AppliedDrift } {
    const s = this.state(stream);
    const upd = s.updatedMs.get(id);
    const cre = s.createdMs.get(id);
    const record = recordFor(
      this.seed,
      stream,
      id,
      s.revisions.get(id) ?? 0,
      upd === undefined ? undefined : formatTime(upd),
      cre === undefined ? undefined : formatTime(cre),
    );
    const drift = driftOf(this.seed, this.shape.drift, stream, id, record);
    const bytes = this.shape.recordBytes[stream] ?? 0;
    if (bytes > 0) record.padding = 'x'.repeat(Math.max(0, bytes - JSON.stringify(record).length - 14));
    return { record, drift };
  }

  /** The drifted values of every live record (the `drift` option). */
  drifts(): DriftTruth {
    const out: DriftTruth = {};
    if (this.shape.drift <= 0) return out;
    for (const name of STREAM_NAMES) {
      const list: (AppliedDrift & { id: number })[] = [];
      for (const id of this.ids(name)) {
        const { drift } = this.served(name, id);
        if (drift) list.push({ ...drift, id });
      }
      out[name] = list;
    }
    return out;
  }

  /** created_at (ms) and the render offset of a record, for its ticket comments. */
  created(stream: StreamName, id: number): { ms: number; offsetMinutes: number } {
    const base = baseTimes(this.seed, stream, id);
    return { ms: this.state(stream).createdMs.get(id) ?? base.createdMs, offsetMinutes: base.offsetMinutes };
  }

  updatedMs(stream: StreamName, id: number): number {
    return this.state(stream).updatedMs.get(id) ?? baseTimes(this.seed, stream, id).updatedMs;
  }

  /** updated_at exactly as the record renders it. */
  updatedAt(stream: StreamName, id: number): string | null {
    if (!endpoint(stream).timestamps) return null;
    const o = this.state(stream).updatedMs.get(id);
    if (o !== undefined) return formatTime(o);
    const t = baseTimes(this.seed, stream, id);
    return formatTime(t.updatedMs, t.offsetMinutes);
  }

  /** Live customers without the disabled ones (what /customers shows by default). */
  enabledCustomers(): Int32Array {
    return this.derived('customers', 'enabled', (id) => !isDisabledCustomer(this.seed, id));
  }

  /** Live RMM alerts, resolved or active ones. */
  alerts(resolved: boolean): Int32Array {
    return this.derived('rmm_alerts', resolved ? 'resolved' : 'active', (id) => isResolvedAlert(this.seed, id) === resolved);
  }

  /** Live ids whose updated_at is at or after `sinceMs`. */
  updatedSince(stream: StreamName, sinceMs: number): Int32Array {
    return this.derived(stream, `since:${sinceMs}`, (id) => this.updatedMs(stream, id) >= sinceMs);
  }

  private derived(stream: StreamName, key: string, keep: (id: number) => boolean): Int32Array {
    const k = `${stream}|${this.version(stream)}|${key}`;
    const hit = this.filters.get(k);
    if (hit) return hit;
    const src = this.ids(stream);
    const out = new Int32Array(src.length);
    let n = 0;
    for (const id of src) if (keep(id)) out[n++] = id;
    const list = out.slice(0, n);
    if (this.filters.size >= FILTER_CACHE_ENTRIES) this.filters.delete(this.filters.keys().next().value as string);
    this.filters.set(k, list);
    return list;
  }

  truth(): Truth {
    const out = {} as Truth;
    for (const name of STREAM_NAMES) out[name] = Array.from(this.ids(name), (id) => ({ id, updated_at: this.updatedAt(name, id) }));
    return out;
  }

  /** What every live record's custom field values mean, by stream and id (custom-fields.ts). */
  customFields(): CustomFieldTruth {
    const out = {} as CustomFieldTruth;
    for (const stream of CUSTOM_FIELD_STREAMS) {
      const byId: Record<number, FieldTruth[]> = {};
      for (const id of this.ids(stream)) {
        const record = this.record(stream, id);
        const type = stream === 'tickets' ? record.ticket_type_id : record.asset_type;
        byId[id] = customProperties(this.seed, stream, id, this.state(stream).revisions.get(id) ?? 0, type).truth;
      }
      out[stream] = byId;
    }
    return out;
  }

  /** The ids deleted since the start, by stream (those with none left out), ascending. */
  deletedIds(): Partial<Record<StreamName, number[]>> {
    const out: Partial<Record<StreamName, number[]>> = {};
    for (const name of STREAM_NAMES) {
      const deleted = this.streams.get(name)?.deleted ?? [];
      if (deleted.length > 0) out[name] = [...deleted].sort((a, b) => a - b);
    }
    return out;
  }

  /** The times of the comments a ticket's updates added. */
  commentsAdded(ticketId: number): readonly number[] {
    return this.addedComments.get(ticketId) ?? [];
  }

  /** How many records were added under a parent since the start (addChildren). */
  childrenAdded(stream: ChildStream, parentId: number): number {
    return this.addedChildren.get(`${stream}|${parentId}`) ?? 0;
  }

  /** A record added under each parent named (live ones), its parent left as it was: nothing moves the parent's updated_at. */
  addChildren(stream: ChildStream, parentIds: readonly number[]): void {
    for (const id of parentIds) {
      const key = `${stream}|${id}`;
      this.addedChildren.set(key, (this.addedChildren.get(key) ?? 0) + 1);
    }
  }

  /** A fresh timestamp, at least 1 ms after the previous one handed out. */
  private stamp(): number {
    this.lastStampMs = Math.max(Date.now(), this.lastStampMs + 1);
    return this.lastStampMs;
  }

  mutate(m: Mutation): MutationResult {
    const s = this.state(m.stream);
    s.mutations += 1;
    const g = new Gen(mix(this.seed, streamHash(m.stream), s.mutations));
    const now = m.update !== undefined || m.insert !== undefined ? this.stamp() : undefined;
    const deleted = this.pick(s, m.delete, g);
    if (deleted.length > 0) s.ids.removeAll(new Set(deleted));
    s.deleted.push(...deleted);
    for (const id of deleted) {
      if (m.stream === 'tickets') this.addedComments.delete(id);
      s.revisions.delete(id);
      s.updatedMs.delete(id);
      s.createdMs.delete(id);
    }
    const updated = this.pick(s, m.update, g);
    for (const id of updated) {
      s.revisions.set(id, (s.revisions.get(id) ?? 0) + 1);
      if (endpoint(m.stream).timestamps) s.updatedMs.set(id, now as number);
      // An update of a ticket is a comment added to it.
      if (m.stream === 'tickets') this.addedComments.set(id, [...(this.addedComments.get(id) ?? []), now as number]);
    }
    const inserted: number[] = [];
    for (let i = 0; i < Math.max(0, Math.floor(m.insert ?? 0)); i++) {
      const id = ++s.maxId;
      s.ids.append(id);
      if (endpoint(m.stream).timestamps) {
        s.updatedMs.set(id, now as number);
        s.createdMs.set(id, now as number);
      }
      inserted.push(id);
    }
    if (deleted.length + updated.length + inserted.length > 0) s.version += 1;
    const stampText = now !== undefined && endpoint(m.stream).timestamps && updated.length + inserted.length > 0 ? formatTime(now) : null;
    return { stream: m.stream, updated, inserted, deleted, updated_at: stampText };
  }

  /** The live ids a mutation names: an array is taken as given (unknown ids dropped), a number picks that many. */
  private pick(s: StreamState, which: number | number[] | undefined, g: Gen): number[] {
    if (which === undefined) return [];
    if (Array.isArray(which)) return [...new Set(which)].filter((id) => s.ids.has(id)).sort((a, b) => a - b);
    const live = s.ids.view();
    const n = Math.min(live.length, Math.max(0, Math.floor(which)));
    if (n === live.length) return Array.from(live);
    const chosen = new Set<number>();
    while (chosen.size < n) chosen.add(live[g.int(live.length)] as number);
    return [...chosen].sort((a, b) => a - b);
  }
}
