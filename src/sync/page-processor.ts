/**
 * Page processing, the CPU-heavy half of a sync: decode and parse a page's body, shape its records, drop
 * records older than the bookmark, and write the rest as RECORD lines into one buffer (copying the bytes
 * of records that need no reshaping). A PageProcessor holds no state from page to page beyond each
 * stream's shaper, so any worker thread (page-worker.ts) can take any page while the main thread is free
 * for the network and stdout. Ids the stream already emitted are dropped in the main thread, in page
 * order (first-seen.ts).
 */
import { isAscii, isUtf8 } from 'node:buffer';
import { RECORD_RULES, recordFraming, type RecordChange, type RecordFraming } from '../protocol/messages.js';
import { DRIFTED, pathText, typeText, type Drift } from '../records/conform.js';
import { memberText } from '../records/json-text.js';
import { isPlainObject } from '../records/json.js';
import { keyOf, recordShaper, unwrap, type RecordShaper, type Shaped } from '../records/records.js';
import { arraySlices, type Slices } from '../records/json-slices.js';
import { exactDigits, isUnsafeInteger, marked } from '../records/big-ids.js';
import { KEY_PROPERTIES } from '../streams.js';
import { mapRecord, mappedOutputs, type MappedOutput } from './mapped-records.js';
import { bodyReading, completeRecord, fromPair, parsePage, readMeta, type BodyReading } from './page-body.js';
import { emptyResult, everyMember, type EveryMember, type PageJob, type PageResult, type StreamSpec } from './page-spec.js';
import { RecordLines } from './record-lines.js';

interface StreamState {
  spec: StreamSpec;
  body: BodyReading;
  /** The members whose integers are ids (the key, a child's parent field): kept exact past 2^53 (big-ids.ts). */
  idMembers: readonly string[];
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
    const body = bodyReading(spec.body, spec.parentField);
    this.streams.set(key, {
      spec,
      body,
      idMembers: [...(spec.keyProperties ?? KEY_PROPERTIES), ...(spec.parentField === undefined ? [] : [spec.parentField])],
      shaper: recordShaper(spec.schema, body.wrapper, spec.fields ? new Set(spec.fields) : null, {
        utc: rules.utcTimes,
        widenInPlace: rules.widenSchema,
        keyProperties: spec.keyProperties,
        customFields: spec.customFields,
      }),
      framing,
      prefixBytes: Buffer.from(framing.prefix, 'utf8'),
      outputs: spec.maps ? mappedOutputs(spec, spec.maps) : undefined,
      lastRecord: undefined,
    });
  }

  process(given: PageJob): PageResult {
    // The job as one object literal: a worker's job comes as the message deserialised, whose hidden class
    // depends on its members and is not kept between pages (see page-spec.ts).
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
    const whole = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
    // A UTF-8 byte order mark before the JSON (some servers write one) is not part of it.
    const bytes = hasBom(whole) ? whole.subarray(3) : whole;
    // Records the processor adds to (a parent's id, a made key, the list they came from) are serialised.
    const copyable = state.body.plain && state.spec.fields === null && bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0 && isUtf8(bytes);
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
    const { spec, body } = state;
    const page = parsePage(bytes, body, copying);
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
    // An element's text, for the rare record whose id JSON.parse rounded: from the page's slices, found once.
    let bigSlices: Slices | undefined = slices;
    const elementText = (position: number) => () => {
      bigSlices ??= arraySlices(bytes.toString('latin1'), body.key);
      return bigSlices ? bytes.toString('utf8', bigSlices.starts[position], bigSlices.ends[position]) : '';
    };
    const misread = (shaped: Shaped, { starts, ends }: Slices, position: number) =>
      readWrong(shaped, spec.replicationKey, state.outputs !== undefined) && !isAscii(bytes.subarray(starts[position], ends[position]));
    for (let position = 0; position < elements.length; position++) {
      let element: unknown = fromPair(elements[position], body.pairs);
      completeRecord(element, body, job);
      let shaped = shapeOf(state, element, elementText(position));
      if (slices && shaped && misread(shaped, slices, position)) {
        element = JSON.parse(bytes.toString('utf8', slices.starts[position], slices.ends[position]));
        shaped = shapeOf(state, element, elementText(position));
      }
      // A 64-bit id that JSON.parse rounded: its digits from the element's own text (big-ids.ts).
      const exact = shaped && hasUnsafeId(shaped, state) ? exactIds(shaped, state, job, elementText(position)) : undefined;
      const key = exact ? (keyOf({ ...shaped!.record, ...Object.fromEntries(exact) }, spec.keyProperties) ?? shaped!.key) : shaped?.key;
      result.identities.push(shaped ? key : (unwrap(element, body.wrapper)?.id ?? element));
      if (!shaped) {
        result.withoutId++;
        continue;
      }
      const emits = this.newEnough(shaped.record, spec, job, result);
      result.ids.push(key!);
      result.emits.push(emits);
      if (!emits || !spec.write) continue;
      for (const drift of shaped.drifts) {
        const kind = `${drift.action} ${pathText(drift.path)} ${drift.seen}`;
        if (!drifts.has(kind)) drifts.set(kind, drift);
      }
      if (state.outputs) {
        const copy = slices && shaped.asIs && !shaped.appended ? ([slices.starts[position]!, slices.ends[position]!] as const) : undefined;
        const lines = mapRecord(out, state.outputs, shaped, copy, result);
        if (lines === undefined) return Object.assign(emptyResult(job.page), { failure: result.failure });
        (result.lines ??= []).push(lines);
      } else if (slices && shaped.asIs && !shaped.appended) out.copy(slices.starts[position]!, slices.ends[position]!);
      else if (slices && shaped.asIs && out.copyAppending(slices.starts[position]!, slices.ends[position]!, shaped.appended!)) continue;
      else if (exact) out.serialiseExact(withMarks(shaped.record, exact), changesOf(shaped.drifts));
      else out.serialise(shaped.record, changesOf(shaped.drifts));
    }
    result.out = out.bytes();
    result.drifts = [...drifts.values()];
    this.lastLines = out;
    if (elements.length > 0) state.lastRecord = elements[elements.length - 1];
    return result;
  }

  /**
   * Whether a record is not older than the bookmark; notes the newest replication-key value of the page,
   * and the record's own where the spec asks for stamps.
   */
  private newEnough(record: Record<string, unknown>, spec: StreamSpec, job: PageJob, result: PageResult): boolean {
    if (!spec.replicationKey) return true;
    const at = Date.parse(record[spec.replicationKey] as string);
    if (spec.stamps) result.stamps.push(at);
    if (Number.isNaN(at)) return true;
    if (result.newestMs === undefined || at > result.newestMs) result.newestMs = at;
    return job.sinceMs === undefined || at >= job.sinceMs;
  }
}

/**
 * Values nested deeper than this are not walked (a value 100,000 deep overflows the stack of the check or of
 * the conforming): where one makes the record's shaping overflow, it moves to `_drifted` as its JSON text.
 */
const MAX_VALUE_DEPTH = 256;

/** A record shaped (records.ts); one whose shaping overflows the stack is shaped without its deepest values. */
function shapeOf(state: StreamState, element: unknown, text: () => string): Shaped | undefined {
  try {
    return state.shaper.shape(element);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    return shapeWithoutDeep(state, element, text);
  }
}

/**
 * A record whose shaping overflowed the stack: each top-level value nested deeper than MAX_VALUE_DEPTH is
 * taken out (null), kept in `_drifted` as the JSON text the API sent, and said in a drift naming the record.
 */
function shapeWithoutDeep(state: StreamState, element: unknown, text: () => string): Shaped | undefined {
  const record = unwrap(element, state.body.wrapper);
  if (!record) return undefined;
  const deep = Object.keys(record).filter((name) => nestedDeeperThan(record[name], MAX_VALUE_DEPTH));
  const kept = deep.map((name) => [name, memberText(text(), name, state.body.wrapper) ?? null] as const);
  for (const name of deep) record[name] = null;
  const shaped = state.shaper.shape(element);
  if (!shaped) return undefined;
  shaped.record[DRIFTED] = { ...(isPlainObject(shaped.record[DRIFTED]) ? shaped.record[DRIFTED] : {}), ...Object.fromEntries(kept) };
  for (const name of deep) {
    const declared = state.spec.schema.properties?.[name];
    const seen = `a value nested more than ${MAX_VALUE_DEPTH} deep (kept as its JSON text)`;
    shaped.drifts.push({ path: [name], declared: declared ? typeText(declared) : 'any', seen, action: 'moved', id: shaped.key });
  }
  return { ...shaped, asIs: false };
}

/** Whether a body starts with a UTF-8 byte order mark (EF BB BF). */
export function hasBom(bytes: Uint8Array): boolean {
  return bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf;
}

/** Whether a parsed value nests objects or arrays deeper than `max` (walked without recursion). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const [v, depth] = item;
    if (typeof v !== 'object' || v === null) continue;
    if (depth > max) return true;
    for (const child of Object.values(v)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Whether a record's id members hold an integer JSON.parse may have rounded. */
function hasUnsafeId(shaped: Shaped, state: StreamState): boolean {
  for (const name of state.idMembers) if (isUnsafeInteger(shaped.record[name])) return true;
  return false;
}

/**
 * The exact digits of a record's rounded id members: from the element's text, or, for a parent field the
 * processor set, from the job's parent id (already exact).
 */
function exactIds(shaped: Shaped, state: StreamState, job: PageJob, text: () => string): [string, string][] {
  const exact: [string, string][] = [];
  for (const name of state.idMembers) {
    if (!isUnsafeInteger(shaped.record[name])) continue;
    const digits = exactDigits(text(), name, state.body.wrapper) ?? (name === state.spec.parentField ? String(job.parentId) : undefined);
    if (digits !== undefined && /^-?\d+$/.test(digits)) exact.push([name, digits]);
  }
  return exact;
}

/** A record to serialise with its exact ids marked (big-ids.ts unmark writes their digits back). */
function withMarks(record: Record<string, unknown>, exact: readonly [string, string][]): Record<string, unknown> {
  const copy = { ...record };
  for (const [name, digits] of exact) copy[name] = marked(digits);
  return copy;
}

/** The properties a record carries as null because their values moved (conform.ts), as Airbyte's meta.changes. */
function changesOf(drifts: readonly Drift[]): RecordChange[] {
  return drifts
    .filter((d) => d.action === 'moved' && d.path[0] !== DRIFTED)
    .map((d) => ({ field: pathText(d.path), change: 'NULLED' as const, reason: 'SOURCE_SERIALIZATION_ERROR' as const }));
}

/**
 * Whether a record read as Latin-1 (copying) may be wrong where its bytes are not ASCII: it was changed, its
 * key or replication key holds a string beyond ASCII, or its custom field columns read one (custom-values.ts)
 * or are to be mapped.
 */
function readWrong({ asIs, appended, appendedMisread, record, key }: Shaped, replicationKey: string | undefined, mapped: boolean): boolean {
  // Stream maps serialise a record with appended columns from its values, not from its bytes.
  if (appended !== undefined && (mapped || appendedMisread === true)) return true;
  return !asIs || beyondAscii(key) || (replicationKey !== undefined && beyondAscii(record[replicationKey]));
}

/** A string with characters beyond ASCII, which a Latin-1 reading of UTF-8 gets wrong. */
function beyondAscii(value: unknown): boolean {
  return typeof value === 'string' && /[\u0080-\uffff]/.test(value);
}
