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
import { pathText, type Drift } from '../records/conform.js';
import { recordShaper, unwrap, type RecordShaper, type Shaped } from '../records/records.js';
import type { Slices } from '../records/json-slices.js';
import { mapRecord, mappedOutputs, type MappedOutput } from './mapped-records.js';
import { bodyReading, completeRecord, fromPair, parsePage, readMeta, type BodyReading } from './page-body.js';
import { emptyResult, everyMember, type EveryMember, type PageJob, type PageResult, type StreamSpec } from './page-spec.js';
import { RecordLines } from './record-lines.js';

interface StreamState {
  spec: StreamSpec;
  body: BodyReading;
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
      shaper: recordShaper(spec.schema, body.wrapper, spec.fields ? new Set(spec.fields) : null, {
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
    const bytes = Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength);
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
    const { spec, shaper, body } = state;
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
    const misread = ({ asIs, record, key }: Shaped, { starts, ends }: Slices, position: number) =>
      (!asIs || beyondAscii(key) || (spec.replicationKey !== undefined && beyondAscii(record[spec.replicationKey]))) &&
      !isAscii(bytes.subarray(starts[position], ends[position]));
    for (let position = 0; position < elements.length; position++) {
      let element: unknown = fromPair(elements[position], body.pairs);
      completeRecord(element, body, job);
      let shaped = shaper.shape(element);
      if (slices && shaped && misread(shaped, slices, position)) {
        element = JSON.parse(bytes.toString('utf8', slices.starts[position], slices.ends[position]));
        shaped = shaper.shape(element);
      }
      result.identities.push(shaped ? shaped.key : (unwrap(element, body.wrapper)?.id ?? element));
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
