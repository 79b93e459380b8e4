/** Request statistics: counts per endpoint, status and fault, parameters seen, and a bounded request log. */
import type { EndpointName, EndpointStats, FaultKind, RequestLogEntry, SimulatorStats } from './types.js';

const LOG_SIZE = 10_000;
const MAX_VALUES = 1000;
const TRACKED = ['since_updated_at', 'per_page', 'include_disabled', 'status'] as const;

interface Mutable {
  requests: number;
  byStatus: Record<string, number>;
  byFault: Partial<Record<FaultKind, number>>;
  params: Set<string>;
  values: Record<(typeof TRACKED)[number], Set<string>>;
}

export interface RequestFacts {
  endpoint: EndpointName;
  method: string;
  path: string;
  query: URLSearchParams;
  status: number;
  fault?: FaultKind;
}

/** The query string with api_key values replaced, for logs that a test may print. */
export function redactQuery(query: URLSearchParams): string {
  const copy = new URLSearchParams(query);
  for (const k of [...copy.keys()]) if (k.toLowerCase() === 'api_key') copy.set(k, 'REDACTED');
  return copy.toString();
}

export class Stats {
  private total = 0;
  private rateLimited = 0;
  private endpoints = new Map<EndpointName, Mutable>();
  private log: RequestLogEntry[] = [];
  private logStart = 0;

  record(f: RequestFacts): void {
    this.total += 1;
    if (f.status === 429) this.rateLimited += 1;
    let e = this.endpoints.get(f.endpoint);
    if (!e) {
      e = {
        requests: 0,
        byStatus: {},
        byFault: {},
        params: new Set(),
        values: { since_updated_at: new Set(), per_page: new Set(), include_disabled: new Set(), status: new Set() },
      };
      this.endpoints.set(f.endpoint, e);
    }
    e.requests += 1;
    e.byStatus[String(f.status)] = (e.byStatus[String(f.status)] ?? 0) + 1;
    if (f.fault) e.byFault[f.fault] = (e.byFault[f.fault] ?? 0) + 1;
    for (const k of f.query.keys()) e.params.add(k);
    for (const k of TRACKED) {
      const set = e.values[k];
      for (const v of f.query.getAll(k)) if (set.size < MAX_VALUES) set.add(v);
    }
    const entry: RequestLogEntry = { at: Date.now(), method: f.method, path: f.path, query: redactQuery(f.query), status: f.status };
    if (f.fault) entry.fault = f.fault;
    // A ring buffer: once full, overwrite the oldest entry.
    if (this.log.length < LOG_SIZE) this.log.push(entry);
    else {
      this.log[this.logStart] = entry;
      this.logStart = (this.logStart + 1) % LOG_SIZE;
    }
  }

  snapshot(peakPerMinute: number): SimulatorStats {
    const endpoints: SimulatorStats['endpoints'] = {};
    for (const [name, e] of this.endpoints) {
      const s: EndpointStats = {
        requests: e.requests,
        byStatus: { ...e.byStatus },
        byFault: { ...e.byFault },
        params: [...e.params].sort(),
        values: {
          since_updated_at: [...e.values.since_updated_at],
          per_page: [...e.values.per_page],
          include_disabled: [...e.values.include_disabled],
          status: [...e.values.status],
        },
      };
      endpoints[name] = s;
    }
    const log = [...this.log.slice(this.logStart), ...this.log.slice(0, this.logStart)];
    return { total: this.total, endpoints, peakPerMinute, rateLimited: this.rateLimited, log };
  }

  reset(): void {
    this.total = 0;
    this.rateLimited = 0;
    this.endpoints.clear();
    this.log = [];
    this.logStart = 0;
  }
}
