/**
 * The API simulator: a Node http server faithful to docs/api.md (quirks included), with a rate limit,
 * injected faults, and an admin API for ground truth, statistics and mutations.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { handleAdmin, checkMutation, type AdminTarget } from './admin.js';
import { API_PREFIX, Api, route, type ApiReply } from './api.js';
import { PageCache } from './cache.js';
import { splitCounts, ticketComments } from './data.js';
import { CHILD_ENDPOINTS, childRecords, type ChildStream } from './children.js';
import { MAINTENANCE_PAGE, errorPage, isHttpFault, sendTruncated } from './faults.js';
import { applyRuntime, resolveOptions } from './options.js';
import { mix, mulberry32 } from './prng.js';
import { SlidingWindow } from './ratelimit.js';
import { Stats } from './stats.js';
import { Store } from './store.js';
import type { FaultKind, Mutation, MutationResult, RuntimeOptions, Simulator, SimulatorOptions, StreamName } from './types.js';

export type * from './types.js';
export { STREAM_NAMES, FAULT_KINDS } from './types.js';
export { recordFor } from './data.js';

const JSON_TYPE = 'application/json; charset=utf-8';

function send(res: ServerResponse, status: number, contentType: string, body: Buffer, extra: Record<string, string> = {}): void {
  // The client may have given up (a stall it timed out on): nothing to answer then.
  if (res.destroyed || res.writableEnded) return;
  res.writeHead(status, { 'content-type': contentType, 'content-length': body.length, ...extra });
  res.end(body);
}

export async function startSimulator(options?: SimulatorOptions): Promise<Simulator> {
  const o = resolveOptions(options);
  const store = new Store(o.seed, splitCounts(o.records, o.counts), { drift: o.drift, recordBytes: o.recordBytes });
  const cache = new PageCache(o.cacheBytes);
  const api = new Api(store, cache, {
    apiKey: o.apiKey,
    limitedApiKey: o.limitedApiKey,
    pageSizes: o.pageSizes,
    perPage: o.perPage,
    heavyAbove: o.heavyAbove,
    missingEndpoints: o.missingEndpoints,
    childrenGoneEvery: o.childrenGoneEvery,
    childStatus: o.childStatus,
    appointmentsWrapped: o.appointmentsWrapped,
  });
  const stats = new Stats();
  let runtime = o.runtime;
  const window = new SlidingWindow(runtime.windowMs);
  // Faults are drawn from their own seeded sequence: the same seed and request order give the same faults.
  const faultDraw = mulberry32(mix(o.seed, 0xfa17));
  let rejected = 0;
  const timers = new Set<NodeJS.Timeout>();

  const later = (ms: number, fn: () => void): void => {
    if (ms <= 0) {
      fn();
      return;
    }
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };

  const target: AdminTarget = {
    truth: () => store.truth(),
    drifts: () => store.drifts(),
    deleted: () => store.deletedIds(),
    customFields: () => store.customFields(),
    stats: () => stats.snapshot(window.peak),
    resetStats: () => {
      stats.reset();
      window.resetPeak();
    },
    mutate: (m: Mutation): MutationResult => {
      const result = store.mutate(checkMutation(m));
      // Keys of a stream's pages start with "<stream>|" (see Api.list).
      cache.dropPrefix(`${m.stream}|`);
      return result;
    },
    configure: (c: RuntimeOptions) => {
      runtime = applyRuntime(runtime, c);
      window.windowMs = runtime.windowMs;
    },
  };

  function handleApi(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const method = req.method ?? 'GET';
    const r = route(method, url.pathname);
    const facts = { endpoint: r.endpoint, method, path: url.pathname, query: url.searchParams };
    const now = Date.now();
    if (runtime.rpm > 0 && window.count(now) >= runtime.rpm) {
      rejected += 1;
      const withHeader = runtime.retryAfter === 'always' || (runtime.retryAfter === 'mixed' && rejected % 2 === 1);
      const extra: Record<string, string> = withHeader
        ? { 'retry-after': String(Math.max(1, Math.ceil(window.msUntilSlot(now) / 1000))) }
        : {};
      stats.record({ ...facts, status: 429 });
      later(runtime.latencyMs, () => {
        send(res, 429, JSON_TYPE, Buffer.from(JSON.stringify({ error: 'Too many requests' })), extra);
      });
      return;
    }
    window.record(now);
    let fault: FaultKind | undefined;
    if (runtime.failRate > 0 && faultDraw() < runtime.failRate) fault = runtime.faults[Math.floor(faultDraw() * runtime.faults.length)];
    const reply = (): ApiReply => api.handle(r, req.headers, url.searchParams);
    const { latencyMs, stallMs, echoRequest } = runtime;
    if (fault === 'reset') {
      stats.record({ ...facts, status: 0, fault });
      later(latencyMs, () => req.socket.destroy());
    } else if (fault !== undefined && isHttpFault(fault)) {
      stats.record({ ...facts, status: Number(fault), fault });
      later(latencyMs, () => {
        send(res, Number(fault), 'text/html', errorPage(fault, req, echoRequest));
      });
    } else if (fault === 'html200') {
      stats.record({ ...facts, status: 200, fault });
      later(latencyMs, () => {
        send(res, 200, 'text/html; charset=utf-8', MAINTENANCE_PAGE);
      });
    } else {
      const out = reply();
      stats.record({ ...facts, status: out.status, ...(fault ? { fault } : {}) });
      if (fault === 'truncated') {
        later(latencyMs, () => {
          if (!res.destroyed) sendTruncated(res, out.body, out.contentType);
        });
      } else
        later(latencyMs + (fault === 'stall' ? stallMs : 0), () => {
          send(res, out.status, out.contentType, out.body);
        });
    }
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://simulator');
    try {
      if (url.pathname === '/__admin' || url.pathname.startsWith('/__admin/')) void handleAdmin(req, res, url.pathname, target);
      else handleApi(req, res, url);
    } catch (e) {
      // A bug of the simulator, not a simulated fault: say so plainly.
      send(res, 500, JSON_TYPE, Buffer.from(JSON.stringify({ error: `simulator bug: ${e instanceof Error ? e.message : String(e)}` })));
    }
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, o.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const addr = server.address() as AddressInfo;
  const host = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;

  return {
    baseUrl: `http://${host}:${addr.port}${API_PREFIX}`,
    apiKey: o.apiKey,
    limitedApiKey: o.limitedApiKey,
    ...target,
    addChildren: (stream: ChildStream, parentIds: readonly number[]) => {
      store.addChildren(stream, parentIds);
    },
    children: (stream: ChildStream | 'ticket_comments', parentId: number) => {
      const parent = stream === 'ticket_comments' ? 'tickets' : (CHILD_ENDPOINTS[stream].parent as StreamName);
      if (!store.has(parent, parentId)) return [];
      if (stream !== 'ticket_comments') return childRecords(stream, store.seed, parentId, store.childrenAdded(stream, parentId));
      const created = store.created('tickets', parentId);
      return ticketComments(store.seed, parentId, created.ms, created.offsetMinutes, 16, store.commentsAdded(parentId));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const t of timers) clearTimeout(t);
        timers.clear();
        server.close(() => {
          resolve();
        });
        server.closeAllConnections();
      }),
  };
}
