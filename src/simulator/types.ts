/** Public types of the simulator: its options, its handle, mutations and statistics. */
import type { CustomFieldTruth } from './custom-fields.js';
import type { ChildStream } from './children.js';
import type { JsonObject } from './record-context.js';
import type { StreamName } from './endpoints.js';

import type { AppliedDrift } from './drift.js';
export type { StreamName } from './endpoints.js';
export type { AppliedDrift, DriftKind } from './drift.js';
export { STREAM_NAMES } from './endpoints.js';

export type FaultKind = '500' | '502' | '503' | '504' | 'reset' | 'truncated' | 'stall' | 'html200';
export const FAULT_KINDS: readonly FaultKind[] = ['500', '502', '503', '504', 'reset', 'truncated', 'stall', 'html200'];

export type RetryAfterMode = 'always' | 'never' | 'mixed';

export interface SimulatorOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** Default 0: a free port. */
  port?: number;
  /** Default 1. */
  seed?: number;
  /** Total records over the list endpoints, split by fixed weights; default 5000. */
  records?: number;
  /** Exact per-stream counts, overriding the split for the streams named. */
  counts?: Partial<Record<StreamName, number>>;
  /** Default 'sim-key-full-0123456789abcdef'. */
  apiKey?: string;
  /** A key without Global Admin; default 'sim-key-limited-0123456789abcdef'. */
  limitedApiKey?: string;
  /** Accepted API requests per windowMs; default 180; 0 = no limit. */
  rpm?: number;
  /** Length of the sliding rate-limit window; default 60000. */
  windowMs?: number;
  /** Retry-After on 429: default 'mixed' (every other 429 carries it). */
  retryAfter?: RetryAfterMode;
  /** Probability (0..1) that an API request gets a fault; default 0. */
  failRate?: number;
  /** Fault kinds drawn from; default all. */
  faults?: FaultKind[];
  /** How long a 'stall' holds its response; default 120000. */
  stallMs?: number;
  /** Delay before every API response; default 0. */
  latencyMs?: number;
  /** Per-endpoint default page sizes, overriding the live ones. */
  pageSizes?: Partial<Record<StreamName, number>>;
  /**
   * How endpoints treat `per_page` (default: honoured up to 100): 'ignore' answers the default page size
   * whatever is asked; a number caps what is asked at that size.
   */
  perPage?: Partial<Record<StreamName, 'ignore' | number>>;
  /**
   * A page of a paged endpoint holding more records than this answers 504 Gateway Time-out with an HTML
   * body, as a gateway does when a page is too heavy to render in time; 0 or absent: never.
   */
  heavyAbove?: number;
  /** List endpoints this account lacks (a module switched off): 404 {"message": "Not found"}. */
  missingEndpoints?: StreamName[];
  /**
   * A parent whose id is a multiple of this answers its child lists (children.ts) with 404, as a parent
   * deleted after the list named it; 0 (the default): none.
   */
  childrenGoneEvery?: number;
  /**
   * Child endpoints (children.ts, and ticket_comments) that answer every request with this HTTP status (406,
   * 403, 500...): a list under a record that the token may not read, or that is broken. Default: none.
   */
  childStatus?: Partial<Record<ChildStream | 'ticket_comments', number>>;
  /** 5xx bodies echo the request line, query and headers (as some gateways do); default false. */
  echoRequest?: boolean;
  /** Wrap each appointment as {"appointment": {...}}; default true. */
  appointmentsWrapped?: boolean;
  /** Bound of the rendered-page cache; default 256 MiB. */
  cacheBytes?: number;
  /**
   * Type drift: the share (0..1) of records in which one documented value arrives with another JSON type
   * (drift.ts lists the kinds), chosen by seed; default 0.
   */
  drift?: number;
  /** Records of these streams are padded (a `padding` text member) to about this many bytes each. */
  recordBytes?: Partial<Record<StreamName, number>>;
}

/** The options that can change while the simulator runs. */
export type RuntimeOptions = Partial<
  Pick<SimulatorOptions, 'rpm' | 'windowMs' | 'retryAfter' | 'failRate' | 'faults' | 'latencyMs' | 'stallMs' | 'echoRequest'>
>;

/** A change to one stream: a number picks that many records deterministically, an array names ids. */
export interface Mutation {
  stream: StreamName;
  update?: number | number[];
  insert?: number;
  delete?: number | number[];
}

export interface MutationResult {
  stream: StreamName;
  updated: number[];
  inserted: number[];
  deleted: number[];
  /** The updated_at given to updated and inserted records (null for products). */
  updated_at: string | null;
}

export interface TruthRow {
  id: number;
  updated_at: string | null;
}

export type Truth = Record<StreamName, TruthRow[]>;

export type DriftTruth = Partial<Record<StreamName, (AppliedDrift & { id: number })[]>>;

/** Statistics key: a stream name, 'me', 'settings' (GET /settings, /tickets/settings), 'ticket_comments' or 'other' (unknown paths). */
export type EndpointName = StreamName | 'me' | 'settings' | 'ticket_comments' | ChildStream | 'other';

export interface EndpointStats {
  requests: number;
  /** Count per HTTP status; a reset (no response) counts under "0". */
  byStatus: Record<string, number>;
  byFault: Partial<Record<FaultKind, number>>;
  /** Distinct query parameter names seen, sorted. */
  params: string[];
  /** Distinct values seen for these parameters (at most 1000 each), in order of first sight. */
  values: { since_updated_at: string[]; per_page: string[]; include_disabled: string[]; status: string[] };
}

export interface RequestLogEntry {
  /** When the request was answered (ms since the epoch). */
  at: number;
  method: string;
  path: string;
  /** The query string, api_key redacted. */
  query: string;
  status: number;
  fault?: FaultKind;
}

export interface SimulatorStats {
  /** API requests received (admin requests excluded), 429s included. */
  total: number;
  endpoints: Partial<Record<EndpointName, EndpointStats>>;
  /** Most accepted requests in any sliding window of windowMs. */
  peakPerMinute: number;
  /** Requests answered 429. */
  rateLimited: number;
  /** The last 10,000 requests, oldest first. */
  log: RequestLogEntry[];
}

export interface Simulator {
  /** e.g. http://127.0.0.1:41234/api/v1 */
  baseUrl: string;
  apiKey: string;
  limitedApiKey: string;
  /** Every live record (disabled customers included), id order. */
  truth(): Truth;
  /** The drifted value of every live record that has one (the `drift` option), by stream, id order. */
  drifts(): DriftTruth;
  /** The ids deleted by mutations since the start, by stream (GET /__admin/deleted), ascending. */
  deleted(): Partial<Record<StreamName, number[]>>;
  /** What each record's custom field values mean, by stream and id (GET /__admin/custom-fields). */
  customFields(): CustomFieldTruth;
  stats(): SimulatorStats;
  resetStats(): void;
  mutate(m: Mutation): MutationResult;
  /** A record added under each parent named, the parent left as it was (nothing moves its updated_at). */
  addChildren(stream: ChildStream, parentIds: readonly number[]): void;
  /** What the API lists under a parent now: a child list's records (asset_patches: both lists), or a ticket's comments. */
  children(stream: ChildStream | 'ticket_comments', parentId: number): JsonObject[];
  configure(o: RuntimeOptions): void;
  /** Closes the server, kept-alive sockets included, and cancels held responses. */
  close(): Promise<void>;
}
