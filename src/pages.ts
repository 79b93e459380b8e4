/**
 * Page processing, the CPU-heavy half of a sync: decode and parse a page's body, shape its records, drop
 * records older than the bookmark, and serialise the rest as RECORD lines into one buffer. A
 * PageProcessor holds no state from page to page beyond each stream's shaper, so any worker thread
 * (page-worker.ts) can take any page while the main thread is free for the network and stdout. Ids the
 * stream already emitted are dropped in the main thread, in page order (`firstSeen`).
 */
import type { JsonSchema } from './catalog.js';
import type { IdSet } from './idset.js';
import { recordShaper, unwrap, type RecordShaper } from './records.js';

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
    let lines = '';
    for (const element of elements) {
      const record = shaper.shape(element);
      const unwrapped = unwrap(element, spec.wrapperKey);
      result.identities.push(unwrapped ? unwrapped.id : element);
      if (!record) {
        result.withoutId++;
        continue;
      }
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
      if (emits && spec.write) lines += state.prefix + JSON.stringify(record) + suffix;
    }
    if (lines.length > 0) result.out = Buffer.from(lines, 'utf8');
    return result;
  }
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

