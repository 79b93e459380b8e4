/**
 * The messages tap-crm writes, one JSON object a line, in the two protocols it speaks: Singer (the
 * default, flags on the command line) and Airbyte (protocol v0, subcommands). Their shapes live here and
 * nowhere else. The writer (main thread) builds whole messages with a Protocol; the page workers frame
 * each record's JSON between `recordFraming`'s prefix and suffix, copying the record's own bytes in
 * between where it needs no reshaping. The sync is the same for both: only these shapes differ.
 */
import type { JsonSchema, SelectedStream } from './catalog.js';
import type { FailureType } from '../errors.js';
import type { Level } from '../output/log.js';
import type { TapState } from './state.js';
import { keyPropertiesOf } from '../streams.js';
import { childKind } from '../graph.js';

export type ProtocolName = 'singer' | 'airbyte';

/** Airbyte's stream statuses (TRACE STREAM_STATUS). */
export type StreamStatus = 'STARTED' | 'RUNNING' | 'COMPLETE' | 'INCOMPLETE';

/**
 * What a protocol decides about the records themselves, by its name (the page workers get the name: a
 * Protocol's functions cannot be posted to them).
 */
export interface RecordRules {
  /** Table versions (Singer's ACTIVATE_VERSION, and `version` on each RECORD); Airbyte has no such message. */
  readonly tableVersions: boolean;
  /** Timestamps in UTC: Airbyte's warehouses keep a timestamp's clock time and drop its offset. */
  readonly utcTimes: boolean;
  /**
   * A value that does not fit its schema widens the schema, announced again (Singer allows a SCHEMA
   * mid-stream); Airbyte's catalog cannot change during a read, so such a value is moved, never widened.
   */
  readonly widenSchema: boolean;
  /**
   * The column a tombstone (a record deleted from the API) sets to the time it was found gone: the Singer
   * SDK's and the Airbyte CDC's name. An Airbyte tombstone also carries the cursor at that time, so that a
   * destination's dedup ranks it last.
   */
  readonly deletedAt: '_sdc_deleted_at' | '_ab_cdc_deleted_at';
  readonly tombstoneCursor: boolean;
}

export const RECORD_RULES: Readonly<Record<ProtocolName, RecordRules>> = {
  singer: { tableVersions: true, utcTimes: false, widenSchema: true, deletedAt: '_sdc_deleted_at', tombstoneCursor: false },
  airbyte: { tableVersions: false, utcTimes: true, widenSchema: false, deletedAt: '_ab_cdc_deleted_at', tombstoneCursor: true },
};

/** The messages of one protocol, as lines; undefined where the protocol has no such message. */
/** A SCHEMA as a stream map makes it: another name, schema or key (null: none written, as the Meltano SDK does). */
export interface SchemaView {
  stream: string;
  schema: JsonSchema;
  keyProperties: readonly string[] | null;
}

export interface Protocol {
  readonly name: ProtocolName;
  schema(selected: SelectedStream, view?: SchemaView): string | undefined;
  /**
   * The state after `streams` finished, or at the end of the run (`streams`: those the run writes). Singer
   * writes the whole value; Airbyte one message a stream named, never one of a stream it does not write.
   */
  state(value: TapState, streams: readonly string[]): string;
  activateVersion(stream: string, version: number): string | undefined;
  streamStatus(stream: string, status: StreamStatus, emittedAtMs: number): string | undefined;
  /** How many records a stream is about to emit (Airbyte's ESTIMATE, the platform's progress bar). */
  estimate(stream: string, rows: number, emittedAtMs: number): string | undefined;
  /** The API answered a request of the stream 429 (Airbyte: STREAM_STATUS RUNNING, reason RATE_LIMITED). */
  rateLimited(stream: string, emittedAtMs: number): string | undefined;
  /** A log line carried on stdout (Airbyte); Singer logs go to stderr. */
  log(level: Level, message: string): string | undefined;
}

export const SINGER: Protocol = {
  name: 'singer',
  /** SCHEMA: the catalog's schema, the primary key and, for an incremental stream, its replication key. */
  schema({ def, schema, method }, view) {
    const message: Record<string, unknown> = { type: 'SCHEMA', stream: view?.stream ?? def.name, schema: view?.schema ?? schema };
    const keys = view ? view.keyProperties : keyPropertiesOf(def);
    if (keys !== null) message.key_properties = keys;
    // A child's bookmark is its parent's updated_at, not a property of its own records (graph.ts).
    if (method === 'INCREMENTAL' && def.replicationKey && !childKind(def)) message.bookmark_properties = [def.replicationKey];
    return line(message);
  },
  state: (value) => line({ type: 'STATE', value }),
  activateVersion: (stream, version) => line({ type: 'ACTIVATE_VERSION', stream, version }),
  streamStatus: () => undefined,
  estimate: () => undefined,
  rateLimited: () => undefined,
  log: () => undefined,
};

/**
 * Airbyte: no SCHEMA (the catalog carries the schemas), a STATE per stream (`type: STREAM`, its stream_state
 * the stream's Singer bookmark), TRACE STREAM_STATUS around each stream, LOG for log lines.
 */
export const AIRBYTE: Protocol = {
  name: 'airbyte',
  schema: () => undefined,
  state(value, streams) {
    return streams.map((name) => line(airbyteState(name, value.bookmarks[name] ?? {}))).join('');
  },
  activateVersion: () => undefined,
  streamStatus: (stream, status, emittedAtMs) =>
    line({
      type: 'TRACE',
      trace: { type: 'STREAM_STATUS', emitted_at: emittedAtMs, stream_status: { stream_descriptor: { name: stream }, status } },
    }),
  estimate: (stream, rows, emittedAtMs) =>
    line({
      type: 'TRACE',
      trace: { type: 'ESTIMATE', emitted_at: emittedAtMs, estimate: { name: stream, type: 'STREAM', row_estimate: rows } },
    }),
  // No quota_reset: the API does not say when its window frees a request (docs/api.md#rate-limit-and-failures).
  rateLimited: (stream, emittedAtMs) =>
    line({
      type: 'TRACE',
      trace: {
        type: 'STREAM_STATUS',
        emitted_at: emittedAtMs,
        stream_status: { stream_descriptor: { name: stream }, status: 'RUNNING', reasons: [{ type: 'RATE_LIMITED', rate_limited: {} }] },
      },
    }),
  log: (level, message) => line({ type: 'LOG', log: { level: AIRBYTE_LEVELS[level], message } }),
};

const AIRBYTE_LEVELS: Record<Level, string> = { DEBUG: 'DEBUG', INFO: 'INFO', WARNING: 'WARN', ERROR: 'ERROR', CRITICAL: 'FATAL' };

export function protocolNamed(name: ProtocolName): Protocol {
  return name === 'airbyte' ? AIRBYTE : SINGER;
}

/** Airbyte's SPEC: the connector's settings as a JSON Schema, and where its documentation is. */
export function airbyteSpec(connectionSpecification: Record<string, unknown>, documentationUrl: string | undefined): string {
  return line({ type: 'SPEC', spec: { ...(documentationUrl ? { documentationUrl } : {}), connectionSpecification } });
}

/** Airbyte's CATALOG: its streams as the source describes them (airbyte.ts). */
export function airbyteCatalog(streams: readonly Record<string, unknown>[]): string {
  return line({ type: 'CATALOG', catalog: { streams } });
}

/** Airbyte's CONNECTION_STATUS: SUCCEEDED, or FAILED with what to fix. */
export function airbyteConnectionStatus(error: string | undefined): string {
  return line({
    type: 'CONNECTION_STATUS',
    connectionStatus: error === undefined ? { status: 'SUCCEEDED' } : { status: 'FAILED', message: error },
  });
}

/** Airbyte's TRACE ERROR: what failed and whose fault it is. */
export function airbyteTraceError(message: string, failureType: FailureType, emittedAtMs: number): string {
  return line({ type: 'TRACE', trace: { type: 'ERROR', emitted_at: emittedAtMs, error: { message, failure_type: failureType } } });
}

/** An Airbyte per-stream state message. */
export function airbyteState(stream: string, streamState: unknown): Record<string, unknown> {
  return { type: 'STATE', state: { type: 'STREAM', stream: { stream_descriptor: { name: stream }, stream_state: streamState } } };
}

/** A value the record does not carry where its schema says (Airbyte's AirbyteRecordMessageMeta change). */
export interface RecordChange {
  field: string;
  change: 'NULLED';
  reason: 'SOURCE_SERIALIZATION_ERROR';
}

/** What surrounds a record's JSON in its RECORD line. */
export interface RecordFraming {
  prefix: string;
  /**
   * The rest of the line after the record, newline included, for records extracted at `extractedAtMs`;
   * with the record's changes where the protocol carries them (Airbyte's meta.changes).
   */
  suffix(extractedAtMs: number, changes?: readonly RecordChange[]): string;
}

/**
 * Singer: `{"type":"RECORD","stream":…,"record":<record>,"time_extracted":…[,"version":…]}`.
 * Airbyte: `{"type":"RECORD","record":{"stream":…,"data":<record>,"emitted_at":<ms, an integer>[,"meta":{"changes":[…]}]}}`.
 */
export function recordFraming(protocol: ProtocolName, stream: string, version: number | undefined): RecordFraming {
  if (protocol === 'airbyte') {
    return {
      prefix: `{"type":"RECORD","record":{"stream":${JSON.stringify(stream)},"data":`,
      suffix: (extractedAtMs, changes) =>
        `,"emitted_at":${Math.trunc(extractedAtMs)}${changes?.length ? `,"meta":${JSON.stringify({ changes })}` : ''}}}\n`,
    };
  }
  const versionPart = version === undefined ? '' : `,"version":${version}`;
  return {
    prefix: `{"type":"RECORD","stream":${JSON.stringify(stream)},"record":`,
    suffix: (extractedAtMs) => `,"time_extracted":"${new Date(extractedAtMs).toISOString()}"${versionPart}}\n`,
  };
}

export function line(message: Record<string, unknown>): string {
  return JSON.stringify(message) + '\n';
}
