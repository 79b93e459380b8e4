/**
 * Page processing, the CPU-heavy half of a sync: decode and parse a page's body, shape its records, drop
 * ids this stream already emitted and records older than the bookmark, and serialise the rest as RECORD
 * lines into one buffer. A PageProcessor keeps each stream's shaper and seen ids; it runs in a worker
 * thread (page-worker.ts) so that the main thread is free for the network and stdout.
 */
import type { JsonSchema } from './catalog.js';
import { IdSet } from './idset.js';
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
  /** At most this many records are emitted (`--test`). */
  room?: number;
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
  /** RECORD lines of the emitted records. */
  out: Uint8Array;
  /** Ids of the emitted records, in page order. */
  emitted: (number | string)[];
  /** The newest replication-key value on the page (emitted or not), ms. */
  newestMs?: number;
  duplicates: number;
  withoutId: number;
  /** Ids this stream has seen in the run so far. */
  seen: number;
}

interface StreamState {
  spec: StreamSpec;
  shaper: RecordShaper;
  seen: IdSet;
  prefix: string;
}

export class PageProcessor {
  private readonly streams = new Map<number, StreamState>();

  configure(key: number, spec: StreamSpec): void {
    this.streams.set(key, {
      spec,
      shaper: recordShaper(spec.schema, spec.wrapperKey, spec.fields ? new Set(spec.fields) : null),
      seen: new IdSet(),
      prefix: `{"type":"RECORD","stream":${JSON.stringify(spec.stream)},"record":`,
    });
  }

  process(job: PageJob): PageResult {
    const state = this.streams.get(job.key);
    if (!state) throw new Error(`page processor: stream ${job.key} was not configured`);
    const { spec, shaper, seen } = state;
    const result: PageResult = { page: job.page, count: 0, identities: [], out: EMPTY, emitted: [], duplicates: 0, withoutId: 0, seen: seen.size };
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
      if (!seen.add(record.id)) {
        result.duplicates++;
        continue;
      }
      if (spec.replicationKey) {
        const at = Date.parse(record[spec.replicationKey] as string);
        if (!Number.isNaN(at)) {
          if (result.newestMs === undefined || at > result.newestMs) result.newestMs = at;
          if (job.sinceMs !== undefined && at < job.sinceMs) continue; // older than the bookmark
        }
      }
      if (job.room !== undefined && result.emitted.length >= job.room) continue;
      result.emitted.push(record.id);
      if (spec.write) lines += state.prefix + JSON.stringify(record) + suffix;
    }
    result.seen = seen.size;
    if (lines.length > 0) result.out = Buffer.from(lines, 'utf8');
    return result;
  }
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

