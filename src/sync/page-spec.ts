/**
 * What a page processor (page-processor.ts, in a page worker or this thread) is told of a stream once, of
 * each page, and what it answers: the messages between the sync and the page workers. Every object here
 * keeps one shape whatever the stream or the page (`everyMember`, `emptyResult`): the code every record
 * passes through is then optimised once for all streams (docs/benchmarks.md, cpu).
 */
import type { JsonSchema } from '../records/json.js';
import type { Drift } from '../records/conform.js';
import type { ProtocolName } from '../protocol/messages.js';
import type { MapSettings } from '../maps/mapper.js';
import type { Body } from '../streams.js';
import type { CustomFieldsSpec } from '../records/custom-values.js';

/** What holds a page's records: a list's body (streams.ts), or a detail's one record under `key` ({"user": {...}}). */
export type PageBody = Body | { readonly type: 'object'; readonly key: string };

/** What a processor must know of a stream, sent once. */
export interface StreamSpec {
  stream: string;
  schema: JsonSchema;
  body: PageBody;
  /** Top-level fields to keep, or null for every field. */
  fields: string[] | null;
  /** The records' timestamp (streams.ts replicationKey): read on each record for the bookmark filter, the newest, the stamps. */
  replicationKey?: string;
  /** Table version stamped on RECORDs (ACTIVATE_VERSION). */
  version?: number;
  /** The protocol whose RECORD framing the lines take. */
  protocol: ProtocolName;
  /** False for a parent walked only for its children's sake: records are counted, not serialised. */
  write: boolean;
  /** Stream maps and flattening (the settings, as plain JSON: each worker builds the maps from them). */
  maps?: MapSettings;
  /** The primary key, where it is not `id`. */
  keyProperties?: readonly string[];
  /** A child's field for its parent's id, set where a record lacks it (the job's parentId). */
  parentField?: string;
  /** Each record's timestamp goes back in `stamps`: a parent whose children follow the parents that changed. */
  stamps: boolean;
  /** The custom field columns its records fill (custom-values.ts). */
  customFields?: CustomFieldsSpec;
}

export interface PageJob {
  key: number;
  page: number;
  body: Uint8Array;
  /** When the page's body arrived, ms since the epoch (RECORD's time_extracted). */
  extractedAt: number;
  /** Records with an older replication key are not emitted. */
  sinceMs?: number;
  /** A child page's parent id (the spec's parentField). */
  parentId?: number | string;
}

export interface PageResult {
  page: number;
  /** Why the page could not be read: its body is not JSON, or holds no record array. */
  invalid?: 'json' | 'no-array';
  /** Elements on the page, and their identities (to recognise an endpoint that repeats pages). */
  count: number;
  identities: unknown[];
  totalPages?: number;
  totalEntries?: number;
  /** meta.per_page: the page size the server says it used. */
  perPage?: number;
  /** Ids of the page's records, in page order. */
  ids: (number | string)[];
  /** For each of `ids`: whether the record is new enough to emit; each such record has a line in `out`. */
  emits: boolean[];
  /** For each of `ids` (spec.stamps only): its replication-key value, ms (NaN where it has none). */
  stamps: number[];
  /** RECORD lines of the records to emit (none for a stream that is not written). */
  out: Uint8Array;
  /** The newest replication-key value on the page (emitted or not), ms. */
  newestMs?: number;
  withoutId: number;
  /** What the page's records had that the schema did not expect: one of each kind per property, with a record's id. */
  drifts: Drift[];
  /** With stream maps: for each emitted record, how many lines it became in `out` (none when its maps filtered it out). */
  lines?: number[];
  /** With stream maps: why a record could not be mapped (the expression, the property, the record id); the page is not written. */
  failure?: string;
}

/** A page's result with every member present, in one order, whatever the page held (see the module's comment). */
export function emptyResult(page: number): PageResult {
  return {
    page,
    invalid: undefined,
    count: 0,
    identities: [],
    totalPages: undefined,
    totalEntries: undefined,
    perPage: undefined,
    ids: [],
    emits: [],
    stamps: [],
    out: EMPTY,
    newestMs: undefined,
    withoutId: 0,
    drifts: [],
    lines: undefined,
    failure: undefined,
  };
}

/** An object of type T written with every member, optional ones included: the compiler then names one left out. */
export type EveryMember<T> = { [K in keyof Required<T>]: T[K] };

/** A stream's spec with every member present, in one order. */
export function everyMember(spec: StreamSpec): StreamSpec {
  const every: EveryMember<StreamSpec> = {
    stream: spec.stream,
    schema: spec.schema,
    body: spec.body,
    fields: spec.fields,
    replicationKey: spec.replicationKey,
    version: spec.version,
    protocol: spec.protocol,
    write: spec.write,
    maps: spec.maps,
    keyProperties: spec.keyProperties,
    parentField: spec.parentField,
    stamps: spec.stamps,
    customFields: spec.customFields,
  };
  return every;
}

/**
 * Whether a buffer can be handed over without a copy: only when it is its ArrayBuffer whole. Small
 * buffers are slices of Node's shared pool, which must not (and on Node 22 cannot) be transferred.
 */
export function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

export const EMPTY = new Uint8Array(0);
