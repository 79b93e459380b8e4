/**
 * Page processing, the CPU-heavy half of a sync: decode and parse a page's body, shape its records, drop
 * records older than the bookmark, and write the rest as RECORD lines into one buffer (copying the bytes
 * of records that need no reshaping). A PageProcessor holds no state from page to page beyond each
 * stream's shaper, so any worker thread (page-worker.ts) can take any page while the main thread is free
 * for the network and stdout. Ids the stream already emitted are dropped in the main thread, in page
 * order (`firstSeen`).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import type { JsonSchema } from '../protocol/catalog.js';
import type { IdSet } from '../records/idset.js';
import { isPlainObject } from '../records/json.js';
import { arraySlices, type Slices } from '../records/json-slices.js';
import { RECORD_RULES, recordFraming, type ProtocolName, type RecordChange, type RecordFraming } from '../protocol/messages.js';
import { pathText, type Drift } from '../records/conform.js';
import { recordShaper, unwrap, type RecordShaper, type Shaped } from '../records/records.js';
import type { MapSettings } from '../maps/mapper.js';
import { mapRecord, mappedOutputs, type MappedOutput } from './mapped-records.js';
import type { MadeKey, RecordArrays } from '../streams.js';

/** What a processor must know of a stream, sent once. */
export interface StreamSpec {
  stream: string;
  schema: JsonSchema;
  arrayKey: string;
  /** The body holds one record under this key instead of an array (a detail endpoint: {"user": {...}}). */
  recordKey?: string;
  /** The array's elements are [id, name] pairs: read as records of these two fields. */
  pairs?: readonly [string, string];
  wrapperKey?: string;
  /** Top-level fields to keep, or null for every field. */
  fields: string[] | null;
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
  /** Several record arrays in one body (streams.ts RecordArrays), instead of `arrayKey`'s one. */
  recordArrays?: RecordArrays;
  /** A key field made from others (streams.ts MadeKey). */
  madeKey?: MadeKey;
  /** A child's field for its parent's id, set where a record lacks it (the job's parentId). */
  parentField?: string;
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

/** A page's records after `firstSeen`: what to write, and the ids written. */
export interface PageOutput {
  out: Uint8Array;
  emitted: (number | string)[];
  duplicates: number;
  /** With stream maps: the lines in `out` of each emitted record. */
  lines?: number[];
}

interface StreamState {
  spec: StreamSpec;
  shaper: RecordShaper;
  framing: RecordFraming;
  prefixBytes: Buffer;
  /** The stream's output streams when maps change anything (undefined: its records are written as they are). */
  outputs?: MappedOutput[];
  /**
   * One record of its last page, kept for its hidden class, as PageProcessor.lastLines is: the stream's
   * checks are optimised for the classes JSON.parse gave its records, and V8 holds those only while a record
   * has them.
   */
  lastRecord: unknown;
}

export class PageProcessor {
  private readonly streams = new Map<number, StreamState>();
  /**
   * The last page's RecordLines, emptied, kept only for its hidden class. A RecordLines gets its class by
   * adding its fields one by one, and V8 holds such a chain of classes only while an object has it: the
   * page workers' full collections between pages (gc.ts) freed it with the page, the optimised code that
   * wrote the lines was thrown away for it, and compiled again for the next page, a dozen times a sync
   * (docs/benchmarks.md, cpu). One empty object keeps it.
   */
  private lastLines?: RecordLines;

  configure(key: number, given: StreamSpec): void {
    const spec = everyMember(given);
    const framing = recordFraming(spec.protocol, spec.stream, spec.version);
    const rules = RECORD_RULES[spec.protocol];
    this.streams.set(key, {
      spec,
      shaper: recordShaper(spec.schema, spec.wrapperKey, spec.fields ? new Set(spec.fields) : null, {
        utc: rules.utcTimes,
        widenInPlace: rules.widenSchema,
        keyProperties: spec.keyProperties,
      }),
      framing,
      prefixBytes: Buffer.from(framing.prefix, 'utf8'),
      outputs: spec.maps ? mappedOutputs(spec, spec.maps) : undefined,
      lastRecord: undefined,
    });
  }

  process(given: PageJob): PageResult {
    // The job as one object literal: a worker's job comes as the message deserialised, whose hidden class
    // depends on its members and is not kept between pages (see everyMember).
    const job: EveryMember<PageJob> = {
      key: given.key,
      page: given.page,
      body: given.body,
      extractedAt: given.extractedAt,
      sinceMs: given.sinceMs,
      parentId: given.parentId,
    };
    const state = this.streams.get(job.key);
    if (!state) throw new Error(`page processor: stream ${job.key} was not configured`);
    const bytes = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    const { spec } = state;
    // Records the processor adds to (a parent's id, a made key, the array they came from) are serialised.
    const plainArray = spec.recordKey === undefined && spec.pairs === undefined && !spec.recordArrays && !spec.madeKey && !spec.parentField;
    const copyable = plainArray && spec.fields === null && bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0 && isUtf8(bytes);
    return (copyable && this.read(state, job, bytes, true)) || this.read(state, job, bytes, false)!;
  }

  /**
   * One reading of a page. Copying, the page's RECORD lines copy the bytes of its unchanged records, and
   * the page is parsed as Latin-1, much faster than UTF-8 (whose decoding makes two-byte strings of a
   * page with one accented name): strings other than ASCII then read wrong, but ids, timestamps, numbers,
   * booleans and empty strings, all that the processor reads or changes, read right. A record that the
   * shaper changes, or whose id or replication key is a string beyond ASCII, is parsed again from its own
   * bytes as UTF-8, unless those bytes are all ASCII (then both readings are the same). Copying needs the page to be UTF-8 on one line (a line feed inside a record would
   * split its message), every field written, and the elements found in the bytes; undefined otherwise.
   */
  private read(state: StreamState, job: PageJob, bytes: Buffer, copying: boolean): PageResult | undefined {
    const { spec, shaper } = state;
    const page = parsePage(bytes, spec, copying);
    const result = emptyResult(job.page);
    if (page.invalid !== undefined) {
      result.invalid = page.invalid;
      return copying ? undefined : result;
    }
    const { elements, slices } = page;
    result.count = elements.length;
    readMeta(page.meta, result);
    const drifts = new Map<string, Drift>();
    const out = new RecordLines(state, job.extractedAt, bytes);
    const misread = ({ asIs, record, key }: Shaped, { starts, ends }: Slices, position: number) =>
      (!asIs || beyondAscii(key) || (spec.replicationKey !== undefined && beyondAscii(record[spec.replicationKey]))) &&
      !isAscii(bytes.subarray(starts[position], ends[position]));
    for (let position = 0; position < elements.length; position++) {
      let element: unknown = elements[position];
      if (spec.pairs && Array.isArray(element))
        element = { [spec.pairs[0]]: element[0] as unknown, [spec.pairs[1]]: element[1] as unknown };
      completeRecord(element, spec, job);
      let shaped = shaper.shape(element);
      if (slices && shaped && misread(shaped, slices, position)) {
        element = JSON.parse(bytes.toString('utf8', slices.starts[position], slices.ends[position]));
        shaped = shaper.shape(element);
      }
      result.identities.push(shaped ? shaped.key : (unwrap(element, spec.wrapperKey)?.id ?? element));
      if (!shaped) {
        result.withoutId++;
        continue;
      }
      const emits = this.newEnough(shaped.record, spec, job, result);
      result.ids.push(shaped.key);
      result.emits.push(emits);
      if (!emits || !spec.write) continue;
      for (const drift of shaped.drifts) {
        const kind = `${drift.action} ${pathText(drift.path)} ${drift.seen}`;
        if (!drifts.has(kind)) drifts.set(kind, drift);
      }
      if (state.outputs) {
        const copy = slices && shaped.asIs ? ([slices.starts[position]!, slices.ends[position]!] as const) : undefined;
        const lines = mapRecord(out, state.outputs, shaped, copy, result);
        if (lines === undefined) return Object.assign(emptyResult(job.page), { failure: result.failure });
        (result.lines ??= []).push(lines);
      } else if (slices && shaped.asIs) out.copy(slices.starts[position]!, slices.ends[position]!);
      else out.serialise(shaped.record, changesOf(shaped.drifts));
    }
    result.out = out.bytes();
    result.drifts = [...drifts.values()];
    this.lastLines = out;
    if (elements.length > 0) state.lastRecord = elements[elements.length - 1];
    return result;
  }

  /** Whether a record is not older than the bookmark; notes the newest replication-key value of the page. */
  private newEnough(record: Record<string, unknown>, spec: StreamSpec, job: PageJob, result: PageResult): boolean {
    if (!spec.replicationKey) return true;
    const at = Date.parse(record[spec.replicationKey] as string);
    if (Number.isNaN(at)) return true;
    if (result.newestMs === undefined || at > result.newestMs) result.newestMs = at;
    return job.sinceMs === undefined || at >= job.sinceMs;
  }
}

/** One shape whatever the page held (see emptyResult). */
type ParsedPage =
  | { invalid: 'json' | 'no-array'; elements: undefined; slices: undefined; meta: undefined }
  | { invalid: undefined; elements: unknown[]; slices: Slices | undefined; /** The body's `meta`, as it came. */ meta: unknown };

/**
 * A page's body parsed: its record array, where each element's bytes are (copying only), and its meta.
 * Copying needs every element found in the bytes: a page where they are not cannot be copied (the
 * caller reads it again without copying).
 */
function parsePage(bytes: Buffer, spec: StreamSpec, copying: boolean): ParsedPage {
  const { arrayKey, recordKey } = spec;
  const text = bytes.toString(copying ? 'latin1' : 'utf8');
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return invalidPage('json');
  }
  const object = isPlainObject(body) ? body : {};
  if (spec.recordArrays)
    return isPlainObject(body) ? parsedPage(arraysOf(object, spec.recordArrays), undefined, undefined) : invalidPage('no-array');
  if (recordKey !== undefined)
    return isPlainObject(object[recordKey]) ? parsedPage([object[recordKey]], undefined, undefined) : invalidPage('no-array');
  const elements = object[arrayKey];
  if (!Array.isArray(elements)) return invalidPage('no-array');
  if (!copying) return parsedPage(elements, undefined, object.meta);
  const slices = arraySlices(text, arrayKey);
  if (slices?.starts.length !== elements.length) return invalidPage('no-array');
  return parsedPage(elements, slices, object.meta);
}

function parsedPage(elements: unknown[], slices: Slices | undefined, meta: unknown): ParsedPage {
  return { invalid: undefined, elements, slices, meta };
}

function invalidPage(invalid: 'json' | 'no-array'): ParsedPage {
  return { invalid, elements: undefined, slices: undefined, meta: undefined };
}

/** The page counts of a body's `meta` that are counts, into the page's result. */
function readMeta(meta: unknown, result: PageResult): void {
  if (!isPlainObject(meta)) return;
  const { total_pages: pages, total_entries: entries, per_page: perPage } = meta;
  if (isCount(pages)) result.totalPages = pages;
  if (isCount(entries)) result.totalEntries = entries;
  if (isCount(perPage) && perPage > 0) result.perPage = perPage;
}

/** A page's RECORD lines, built from copied record bytes and serialised records in page order. */
export class RecordLines {
  private readonly pieces: Uint8Array[] = [];
  private serialised = '';
  private readonly suffix: string;
  private readonly suffixBytes: Buffer;

  constructor(
    private readonly state: StreamState,
    private readonly extractedAt: number,
    private page: Buffer,
  ) {
    this.suffix = state.framing.suffix(extractedAt);
    this.suffixBytes = Buffer.from(this.suffix, 'utf8');
  }

  /** A record written as the page's own bytes from `start` to `end` (in another stream's RECORD with `prefix`). */
  copy(start: number, end: number, prefix = this.state.prefixBytes): void {
    this.flushSerialised();
    this.pieces.push(prefix, this.page.subarray(start, end), this.suffixBytes);
  }

  /** The text of the page's bytes from `start` to `end`. */
  text(start: number, end: number): string {
    return this.page.toString('utf8', start, end);
  }

  /** A record's JSON text, in a RECORD of the stream whose line starts with `prefix`. */
  serialisedAs(prefix: string, json: string): void {
    this.serialised += prefix + json + this.suffix;
  }

  serialise(record: Record<string, unknown>, changes: readonly RecordChange[]): void {
    const suffix = changes.length > 0 ? this.state.framing.suffix(this.extractedAt, changes) : this.suffix;
    this.serialised += this.state.framing.prefix + JSON.stringify(record) + suffix;
  }

  /** The page's RECORD lines; the lines are then done with, and hold the page's bytes no longer. */
  bytes(): Uint8Array {
    this.flushSerialised();
    const lines = this.pieces.length > 0 ? Buffer.concat(this.pieces) : EMPTY;
    this.pieces.length = 0;
    this.page = NO_PAGE;
    return lines;
  }

  private flushSerialised(): void {
    if (this.serialised) this.pieces.push(Buffer.from(this.serialised, 'utf8'));
    this.serialised = '';
  }
}

/**
 * The records of a body with several arrays, each element with the field that names its array; an array
 * missing or null is an empty one (docs/api.md#child-resources: an asset without patch data).
 */
function arraysOf(body: Record<string, unknown>, { field, arrays }: RecordArrays): unknown[] {
  return Object.entries(arrays).flatMap(([key, value]): unknown[] => {
    const elements: unknown = body[key];
    if (!Array.isArray(elements)) return [];
    return elements.map((element: unknown) => (isPlainObject(element) ? { ...element, [field]: value } : element));
  });
}

/** What the processor adds to a record before it is shaped: its parent's id where it lacks one, its made key. */
function completeRecord(element: unknown, spec: StreamSpec, job: PageJob): void {
  // Every record of every stream passes here: the spec's checks first, the element's only for a child or a made key.
  if ((spec.parentField === undefined && !spec.madeKey) || !isPlainObject(element)) return;
  if (spec.parentField !== undefined && job.parentId !== undefined && element[spec.parentField] == null)
    element[spec.parentField] = job.parentId;
  if (spec.madeKey) element[spec.madeKey.field] = spec.madeKey.from.map((name) => stringOf(element[name])).join('|');
}

/** A key part as text: a null or a missing value as ''. */
function stringOf(value: unknown): string {
  return value === null || value === undefined ? '' : typeof value === 'string' ? value : JSON.stringify(value);
}

/**
 * A page's result with every member present, in one order, as the page's spec (everyMember) and parsed
 * page are: objects of one hidden class each, so that `read`, which every record passes through, is
 * optimised once for all streams instead of again for each new shape (docs/benchmarks.md, cpu).
 */
function emptyResult(page: number): PageResult {
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
    out: EMPTY,
    newestMs: undefined,
    withoutId: 0,
    drifts: [],
    lines: undefined,
    failure: undefined,
  };
}

/** An object of type T written with every member, optional ones included: the compiler then names one left out. */
type EveryMember<T> = { [K in keyof Required<T>]: T[K] };

/** A stream's spec with every member present, in one order (see emptyResult). */
function everyMember(spec: StreamSpec): StreamSpec {
  const every: EveryMember<StreamSpec> = {
    stream: spec.stream,
    schema: spec.schema,
    arrayKey: spec.arrayKey,
    recordKey: spec.recordKey,
    pairs: spec.pairs,
    wrapperKey: spec.wrapperKey,
    fields: spec.fields,
    replicationKey: spec.replicationKey,
    version: spec.version,
    protocol: spec.protocol,
    write: spec.write,
    maps: spec.maps,
    keyProperties: spec.keyProperties,
    recordArrays: spec.recordArrays,
    madeKey: spec.madeKey,
    parentField: spec.parentField,
  };
  return every;
}

/** The properties a record carries as null because their values moved (conform.ts), as Airbyte's meta.changes. */
function changesOf(drifts: readonly Drift[]): RecordChange[] {
  return drifts
    .filter((d) => d.action === 'moved')
    .map((d) => ({ field: pathText(d.path), change: 'NULLED' as const, reason: 'SOURCE_SERIALIZATION_ERROR' as const }));
}

/** A string with characters beyond ASCII, which a Latin-1 reading of UTF-8 gets wrong. */
function beyondAscii(value: unknown): boolean {
  return typeof value === 'string' && /[\u0080-\uffff]/.test(value);
}

/**
 * Drops the records whose id the stream has already seen in this run (`seen`, which the page's ids join)
 * and any beyond `room` (`--test`): a duplicate's line is cut out of the page's output. Called for the
 * stream's pages in page order, so the first page to hold an id is the one that emits it.
 */
export function firstSeen(page: PageResult, seen: IdSet, room?: number): PageOutput {
  const emitted: (number | string)[] = [];
  const lines: number[] | undefined = page.lines ? [] : undefined;
  let duplicates = 0;
  let drop: Set<number> | undefined;
  let line = 0;
  let record = 0;
  for (let i = 0; i < page.ids.length; i++) {
    const id = page.ids[i]!;
    const fresh = seen.add(id);
    if (!fresh) duplicates++;
    if (!page.emits[i]) continue;
    // One line a record, or with stream maps as many as its maps wrote (none, one, several).
    const count = page.lines?.[record++] ?? 1;
    if (fresh && (room === undefined || emitted.length < room)) {
      emitted.push(id);
      lines?.push(count);
    } else for (let l = line; l < line + count; l++) (drop ??= new Set()).add(l);
    line += count;
  }
  return { out: drop ? withoutLines(page.out, drop) : page.out, emitted, duplicates, lines };
}

/** The lines of `out` (each ends with a newline, which JSON never holds unescaped) but those numbered in `drop`. */
function withoutLines(out: Uint8Array, drop: Set<number>): Uint8Array {
  return Buffer.concat(recordLines(out).filter((_, line) => !drop.has(line)));
}

/** Each emitted record's lines: one line each, or as many as `lines` says (stream maps). */
export function recordGroups(out: Uint8Array, lines: readonly number[] | undefined): Uint8Array[] {
  const all = recordLines(out);
  if (!lines) return all;
  let at = 0;
  return lines.map((count) => {
    const group = all.slice(at, at + count);
    at += count;
    return Buffer.concat(group);
  });
}

/** The lines of RECORD output, each with its newline (which JSON never holds unescaped). */
export function recordLines(out: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < out.length;) {
    const newline = out.indexOf(0x0a, start);
    const end = newline < 0 ? out.length : newline + 1;
    lines.push(out.subarray(start, end));
    start = end;
  }
  return lines;
}

/**
 * Whether a buffer can be handed over without a copy: only when it is its ArrayBuffer whole. Small
 * buffers are slices of Node's shared pool, which must not (and on Node 22 cannot) be transferred.
 */
export function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

const EMPTY = new Uint8Array(0);
/** A page of no bytes, a Buffer as pages are (the same field type: see PageProcessor.lastLines). */
const NO_PAGE = Buffer.alloc(0);

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}
