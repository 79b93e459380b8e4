/** Defaults and validation of the simulator's options, shared by startSimulator, configure() and the CLI. */
import { ENDPOINTS } from './endpoints.js';
import { CHILD_ENDPOINTS, type ChildStream } from './children.js';
import {
  FAULT_KINDS,
  STREAM_NAMES,
  type FaultKind,
  type RetryAfterMode,
  type RuntimeOptions,
  type SimulatorOptions,
  type StreamName,
} from './types.js';

/** Page sizes seen live (endpoints.ts); 0 where the endpoint has no paging and returns everything. */
export const LIVE_PAGE_SIZES = Object.fromEntries(ENDPOINTS.map((e) => [e.name, e.pageSize])) as Record<StreamName, number>;

export interface Runtime {
  rpm: number;
  windowMs: number;
  retryAfter: RetryAfterMode;
  failRate: number;
  faults: FaultKind[];
  stallMs: number;
  latencyMs: number;
  echoRequest: boolean;
}

export interface Resolved {
  host: string;
  port: number;
  seed: number;
  records: number;
  counts: Partial<Record<StreamName, number>>;
  apiKey: string;
  limitedApiKey: string;
  pageSizes: Record<StreamName, number>;
  perPage: Partial<Record<StreamName, 'ignore' | number>>;
  heavyAbove: number;
  missingEndpoints: StreamName[];
  childrenGoneEvery: number;
  childStatus: Partial<Record<ChildStream | 'ticket_comments', number>>;
  appointmentsWrapped: boolean;
  cacheBytes: number;
  drift: number;
  recordBytes: Partial<Record<StreamName, number>>;
  runtime: Runtime;
}

function check(ok: boolean, message: string): void {
  if (!ok) throw new RangeError(`crm-simulator: ${message}`);
}

const nonNegInt = (v: number): boolean => Number.isInteger(v) && v >= 0;

/** Applies a runtime change to `base`, validating every given value. */
export function applyRuntime(base: Runtime, o: RuntimeOptions): Runtime {
  const r = { ...base };
  if (o.rpm !== undefined) {
    check(nonNegInt(o.rpm), `rpm must be an integer >= 0, got ${o.rpm}`);
    r.rpm = o.rpm;
  }
  if (o.windowMs !== undefined) {
    check(Number.isInteger(o.windowMs) && o.windowMs > 0, `windowMs must be an integer > 0, got ${o.windowMs}`);
    r.windowMs = o.windowMs;
  }
  if (o.retryAfter !== undefined) {
    check(['always', 'never', 'mixed'].includes(o.retryAfter), `retryAfter must be always, never or mixed, got ${o.retryAfter}`);
    r.retryAfter = o.retryAfter;
  }
  if (o.failRate !== undefined) {
    check(typeof o.failRate === 'number' && o.failRate >= 0 && o.failRate <= 1, `failRate must be within 0..1, got ${o.failRate}`);
    r.failRate = o.failRate;
  }
  if (o.faults !== undefined) {
    check(Array.isArray(o.faults) && o.faults.length > 0, 'faults must be a non-empty list');
    for (const f of o.faults) check(FAULT_KINDS.includes(f), `unknown fault kind ${f} (one of ${FAULT_KINDS.join(', ')})`);
    r.faults = [...o.faults];
  }
  if (o.stallMs !== undefined) {
    check(nonNegInt(o.stallMs), `stallMs must be an integer >= 0, got ${o.stallMs}`);
    r.stallMs = o.stallMs;
  }
  if (o.latencyMs !== undefined) {
    check(nonNegInt(o.latencyMs), `latencyMs must be an integer >= 0, got ${o.latencyMs}`);
    r.latencyMs = o.latencyMs;
  }
  if (o.echoRequest !== undefined) {
    check(typeof o.echoRequest === 'boolean', 'echoRequest must be a boolean');
    r.echoRequest = o.echoRequest;
  }
  return r;
}

export function resolveOptions(o: SimulatorOptions = {}): Resolved {
  const runtime = applyRuntime(
    {
      rpm: 180,
      windowMs: 60_000,
      retryAfter: 'mixed',
      failRate: 0,
      faults: [...FAULT_KINDS],
      stallMs: 120_000,
      latencyMs: 0,
      echoRequest: false,
    },
    o,
  );
  const port = o.port ?? 0;
  check(Number.isInteger(port) && port >= 0 && port < 65536, `port must be within 0..65535, got ${port}`);
  const seed = o.seed ?? 1;
  check(Number.isInteger(seed), `seed must be an integer, got ${seed}`);
  const records = o.records ?? 5000;
  check(nonNegInt(records), `records must be an integer >= 0, got ${records}`);
  const pageSizes = { ...LIVE_PAGE_SIZES };
  for (const [name, size] of Object.entries(o.pageSizes ?? {})) {
    check((STREAM_NAMES as readonly string[]).includes(name), `pageSizes: unknown stream ${name}`);
    check(Number.isInteger(size) && size > 0, `pageSizes.${name} must be an integer > 0`);
    pageSizes[name as StreamName] = size;
  }
  for (const [name, rule] of Object.entries(o.perPage ?? {})) {
    check((STREAM_NAMES as readonly string[]).includes(name), `perPage: unknown stream ${name}`);
    check(rule === 'ignore' || (Number.isInteger(rule) && rule > 0), `perPage.${name} must be 'ignore' or an integer > 0`);
  }
  for (const name of o.missingEndpoints ?? [])
    check((STREAM_NAMES as readonly string[]).includes(name), `missingEndpoints: unknown stream ${name}`);
  const heavyAbove = o.heavyAbove ?? 0;
  check(nonNegInt(heavyAbove), `heavyAbove must be an integer >= 0, got ${heavyAbove}`);
  for (const [name, n] of Object.entries(o.counts ?? {})) {
    check((STREAM_NAMES as readonly string[]).includes(name), `counts: unknown stream ${name}`);
    check(nonNegInt(n), `counts.${name} must be an integer >= 0`);
  }
  const apiKey = o.apiKey ?? 'sim-key-full-0123456789abcdef';
  const limitedApiKey = o.limitedApiKey ?? 'sim-key-limited-0123456789abcdef';
  check(
    apiKey.length > 0 && limitedApiKey.length > 0 && apiKey !== limitedApiKey,
    'apiKey and limitedApiKey must be distinct non-empty strings',
  );
  const childrenGoneEvery = o.childrenGoneEvery ?? 0;
  check(nonNegInt(childrenGoneEvery), `childrenGoneEvery must be an integer >= 0, got ${childrenGoneEvery}`);
  for (const [name, status] of Object.entries(o.childStatus ?? {})) {
    check(name === 'ticket_comments' || name in CHILD_ENDPOINTS, `childStatus: unknown child stream ${name}`);
    check(Number.isInteger(status) && status >= 400 && status <= 599, `childStatus.${name} must be an HTTP error status`);
  }
  const drift = o.drift ?? 0;
  check(typeof drift === 'number' && drift >= 0 && drift <= 1, `drift must be within 0..1, got ${drift}`);
  for (const [name, n] of Object.entries(o.recordBytes ?? {})) {
    check((STREAM_NAMES as readonly string[]).includes(name), `recordBytes: unknown stream ${name}`);
    check(nonNegInt(n), `recordBytes.${name} must be an integer >= 0`);
  }
  const cacheBytes = o.cacheBytes ?? 256 * 1024 * 1024;
  check(nonNegInt(cacheBytes), `cacheBytes must be an integer >= 0, got ${cacheBytes}`);
  return {
    host: o.host ?? '127.0.0.1',
    port,
    seed,
    records,
    counts: { ...o.counts },
    apiKey,
    limitedApiKey,
    pageSizes,
    perPage: { ...o.perPage },
    heavyAbove,
    missingEndpoints: [...(o.missingEndpoints ?? [])],
    childrenGoneEvery,
    childStatus: { ...o.childStatus },
    appointmentsWrapped: o.appointmentsWrapped ?? true,
    cacheBytes,
    drift,
    recordBytes: { ...o.recordBytes },
    runtime,
  };
}
