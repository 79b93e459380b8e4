/**
 * Page processing, the CPU-heavy half of a sync: decode and parse a page's body, shape its records, drop
 * records older than the bookmark, and write the rest as RECORD lines into one buffer (copying the bytes
 * of records that need no reshaping). A
 * PageProcessor holds no state from page to page beyond each stream's shaper, so any worker thread
 * (page-worker.ts) can take any page while the main thread is free for the network and stdout. Ids the
 * stream already emitted are dropped in the main thread, in page order (`firstSeen`).
 */
import { isUtf8 } from 'node:buffer';
import type { JsonSchema } from './catalog.js';
import type { IdSet } from './idset.js';
import { arraySlices } from './json-slices.js';
import { recordShaper, unwrap, type RecordShaper, type Shaped } from './records.js';

/** What a processor must know of a stream, sent once. */
export interface StreamSpec {
  stream: string;
  schema: JsonSchema;
  arrayKey: string;
  wrapperKey?: string;
  /** Top-level fields to keep, or null for every field. */
  fields: string[] | null;
  replicationKey?: string;
  /** Table version stamped on RECORDs (ACTIVATE_VERSION). */
  version?: number;
  /** False for a parent walked only for its children's sake: records are counted, not serialised. */
  write: boolean;
}

export interface PageJob {
  key: number;
  page: number;
  body: Uint8Array;
  timeExtracted: string;
  /** Records with an older replication key are not emitted. */
  sinceMs?: number;
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
  /** Ids of the page's records, in page order. */
  ids: (number | string)[];
  /** For each of `ids`: whether the record is new enough to emit; each such record has a line in `out`. */
  emits: boolean[];
  /** RECORD lines of the records to emit (none for a stream that is not written). */
  out: Uint8Array;
  /** The newest replication-key value on the page (emitted or not), ms. */
  newestMs?: number;
  withoutId: number;
}

/** A page's records after `firstSeen`: what to write, and the ids written. */
export interface PageOutput {
  out: Uint8Array;
  emitted: (number | string)[];
  duplicates: number;
}

interface StreamState {
  spec: StreamSpec;
  shaper: RecordShaper;
  prefix: string;
}

export class PageProcessor {
  private readonly streams = new Map<number, StreamState>();

  configure(key: number, spec: StreamSpec): void {
    this.streams.set(key, {
      spec,
      shaper: recordShaper(spec.schema, spec.wrapperKey, spec.fields ? new Set(spec.fields) : null),
      prefix: `{"type":"RECORD","stream":${JSON.stringify(spec.stream)},"record":`,
    });
  }

  process(job: PageJob): PageResult {
    const state = this.streams.get(job.key);
    if (!state) throw new Error(`page processor: stream ${job.key} was not configured`);
    const { spec, shaper } = state;
    const result: PageResult = { page: job.page, count: 0, identities: [], ids: [], emits: [], out: EMPTY, withoutId: 0 };
    let body: unknown;
    try {
      body = JSON.parse(Buffer.from(job.body.buffer, job.body.byteOffset, job.body.byteLength).toString('utf8'));
    } catch {
      return { ...result, invalid: 'json' };
    }
    const object = typeof body === 'object' && body !== null && !Array.isArray(body) ? (body as Record<string, unknown>) : {};
    const elements = object[spec.arrayKey];
    if (!Array.isArray(elements)) return { ...result, invalid: 'no-array' };
    const meta = object.meta;
    if (typeof meta === 'object' && meta !== null) {
      const { total_pages: pages, total_entries: entries } = meta as Record<string, unknown>;
      if (isCount(pages)) result.totalPages = pages;
      if (isCount(entries)) result.totalEntries = entries;
    }
    result.count = elements.length;

    const suffix = `,"time_extracted":"${job.timeExtracted}"${spec.version === undefined ? '' : `,"version":${spec.version}`}}\n`;
    const toWrite: ToWrite[] = [];
    for (let position = 0; position < elements.length; position++) {
      const element = elements[position];
      const shaped = shaper.shape(element);
      const unwrapped = unwrap(element, spec.wrapperKey);
      result.identities.push(unwrapped ? unwrapped.id : element);
      if (!shaped) {
        result.withoutId++;
        continue;
      }
      const { record } = shaped;
      let emits = true;
      if (spec.replicationKey) {
        const at = Date.parse(record[spec.replicationKey] as string);
        if (!Number.isNaN(at)) {
          if (result.newestMs === undefined || at > result.newestMs) result.newestMs = at;
          emits = job.sinceMs === undefined || at >= job.sinceMs; // not older than the bookmark
        }
      }
      result.ids.push(record.id);
      result.emits.push(emits);
      if (emits && spec.write) toWrite.push({ ...shaped, position });
    }
    if (toWrite.length > 0) result.out = recordLines(job.body, spec.arrayKey, elements.length, toWrite, state.prefix, suffix);
    return result;
  }
}

/** A record to write, and the position of its element in the page's array. */
type ToWrite = Shaped & { position: number };

/**
 * The RECORD lines of a page's records. A record that is its element unchanged (most are) is copied from
 * the page's bytes: half the cost of serialising it again, and numbers keep their exact text. Copying
 * needs the page to be UTF-8 (its bytes then say what was parsed) on one line (a line feed inside a record
 * would split its message), and as many elements found in the bytes as parsed; else every record is
 * serialised.
 */
function recordLines(body: Uint8Array, arrayKey: string, elementCount: number, records: ToWrite[], prefix: string, suffix: string): Uint8Array {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  const copyable = records.some((r) => r.asIs) && bytes.indexOf(0x0a) < 0 && bytes.indexOf(0x0d) < 0 && isUtf8(bytes);
  const found = copyable ? arraySlices(bytes, arrayKey) : undefined;
  const slices = found?.starts.length === elementCount ? found : undefined;
  const prefixBytes = Buffer.from(prefix, 'utf8');
  const suffixBytes = Buffer.from(suffix, 'utf8');
  const pieces: Uint8Array[] = [];
  let serialised = '';
  for (const { record, asIs, position } of records) {
    const start = slices && asIs ? slices.starts[position]! : -1;
    if (start >= 0 && bytes[start] === 0x7b /* the record's opening brace */) {
      if (serialised) pieces.push(Buffer.from(serialised, 'utf8'));
      serialised = '';
      pieces.push(prefixBytes, bytes.subarray(start, slices!.ends[position]), suffixBytes);
    } else {
      serialised += prefix + JSON.stringify(record) + suffix;
    }
  }
  if (serialised) pieces.push(Buffer.from(serialised, 'utf8'));
  return Buffer.concat(pieces);
}

/**
 * Drops the records whose id the stream has already seen in this run (`seen`, which the page's ids join)
 * and any beyond `room` (`--test`): a duplicate's line is cut out of the page's output. Called for the
 * stream's pages in page order, so the first page to hold an id is the one that emits it.
 */
export function firstSeen(page: PageResult, seen: IdSet, room?: number): PageOutput {
  const emitted: (number | string)[] = [];
  let duplicates = 0;
  let drop: Set<number> | undefined;
  let line = 0;
  for (let i = 0; i < page.ids.length; i++) {
    const id = page.ids[i]!;
    const fresh = seen.add(id);
    if (!fresh) duplicates++;
    if (!page.emits[i]) continue;
    if (fresh && (room === undefined || emitted.length < room)) emitted.push(id);
    else (drop ??= new Set()).add(line);
    line++;
  }
  return { out: drop ? withoutLines(page.out, drop) : page.out, emitted, duplicates };
}

/** The lines of `out` (each ends with a newline, which JSON never holds unescaped) but those numbered in `drop`. */
function withoutLines(out: Uint8Array, drop: Set<number>): Uint8Array {
  const kept: Uint8Array[] = [];
  for (let start = 0, line = 0; start < out.length; line++) {
    const newline = out.indexOf(0x0a, start);
    const end = newline < 0 ? out.length : newline + 1;
    if (!drop.has(line)) kept.push(out.subarray(start, end));
    start = end;
  }
  return Buffer.concat(kept);
}

/**
 * Whether a buffer can be handed over without a copy: only when it is its ArrayBuffer whole. Small
 * buffers are slices of Node's shared pool, which must not (and on Node 22 cannot) be transferred.
 */
export function ownsItsMemory(bytes: Uint8Array): boolean {
  return bytes.byteLength > 0 && bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
}

const EMPTY = new Uint8Array(0);

function isCount(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0;
}

