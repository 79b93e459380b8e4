/** The API proper: routes a request to a list page, ticket comments, /me or the settings, and renders the answer. */
import type { IncomingHttpHeaders } from 'node:http';
import { NOT_AUTHORIZED, NO_PERMISSION, classify, presentedKeys } from './auth.js';
import type { PageCache } from './cache.js';
import { endpoint, endpointAt } from './endpoints.js';
import { assetPatches, CHILD_ENDPOINTS, customerPhones, productSerials, worksheetResults, type ChildStream } from './children.js';
import { settingsAnswer, ticketSettingsAnswer } from './custom-fields.js';
import { renderComments, renderListPage, renderMe } from './render.js';
import type { Store } from './store.js';
import type { StreamName } from './types.js';

export const API_PREFIX = '/api/v1';
const JSON_TYPE = 'application/json; charset=utf-8';
/** What a gateway answers when the page behind it takes too long to render (docs/api.md#rate-limit-and-failures). */
const GATEWAY_TIME_OUT = Buffer.from(
  '<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1>\n<hr><center>nginx</center></body></html>\n',
);
const MAX_PER_PAGE = 100;
/** Error bodies of the statuses a child endpoint may be given (childStatus), as Rails words them. */
const STATUS_TEXT: Record<number, string> = {
  403: 'Forbidden',
  406: 'Not Acceptable',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};
const COMMENTS_PER_PAGE = 10;

export interface ApiReply {
  status: number;
  contentType: string;
  body: Buffer;
}

export type Route =
  | { kind: 'list'; endpoint: StreamName; stream: StreamName }
  | { kind: 'comments'; endpoint: 'ticket_comments'; ticketId: number }
  | { kind: 'child'; endpoint: ChildStream; parentId: number }
  | { kind: 'detail'; endpoint: StreamName; stream: StreamName; id: number }
  | { kind: 'me'; endpoint: 'me' }
  | { kind: 'settings'; endpoint: 'settings'; tickets: boolean }
  | { kind: 'notfound'; endpoint: 'other' };

/** The lists under a record (children.ts), each path with its `{id}` as a pattern. */
const CHILD_ROUTES = Object.entries(CHILD_ENDPOINTS).map(
  ([name, { path }]) => [name as ChildStream, new RegExp(`^${path.replace('{id}', '(\\d+)')}$`)] as const,
);

export function route(method: string, pathname: string): Route {
  const notFound: Route = { kind: 'notfound', endpoint: 'other' };
  if (method !== 'GET' && method !== 'HEAD') return notFound;
  if (!pathname.startsWith(API_PREFIX + '/')) return notFound;
  const p = pathname.slice(API_PREFIX.length).replace(/\/+$/, '');
  if (p === '/me') return { kind: 'me', endpoint: 'me' };
  if (p === '/settings' || p === '/tickets/settings') return { kind: 'settings', endpoint: 'settings', tickets: p !== '/settings' };
  const m = /^\/tickets\/(\d+)\/comments$/.exec(p);
  if (m) return { kind: 'comments', endpoint: 'ticket_comments', ticketId: Number(m[1]) };
  for (const [endpoint, pattern] of CHILD_ROUTES) {
    const child = pattern.exec(p);
    if (child) return { kind: 'child', endpoint, parentId: Number(child[1]) };
  }
  const detail = /^(\/\w+)\/(\d+)$/.exec(p);
  const parent = detail ? endpointAt(detail[1]!) : undefined;
  if (detail && parent && endpoint(parent).detailKey) return { kind: 'detail', endpoint: parent, stream: parent, id: Number(detail[2]) };
  const stream = endpointAt(p);
  return stream ? { kind: 'list', endpoint: stream, stream } : notFound;
}

function json(status: number, value: unknown): ApiReply {
  return { status, contentType: JSON_TYPE, body: Buffer.from(JSON.stringify(value)) };
}

/** Rails' `to_i`: leading digits or 0. */
function toInt(v: string | null): number {
  const n = v === null ? NaN : parseInt(v, 10);
  return Number.isNaN(n) ? 0 : n;
}

const ISO = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2})(?::(\d{2})(?:\.(\d+))?)?)?(Z|[+-]\d{2}:?\d{2})?$/i;

/**
 * An ISO 8601 / RFC 3339 instant in ms, or null. A zone-less value is taken as UTC. Note that a raw "+" in a
 * query string decodes to a space, which makes "...T00:00:00+05:00" sent unencoded unparseable here.
 */
export function parseInstant(s: string): number | null {
  const m = ISO.exec(s.trim());
  if (!m) return null;
  const frac = (m[4] ?? '').padEnd(3, '0').slice(0, 3);
  let zone = (m[5] ?? 'Z').toUpperCase();
  if (zone !== 'Z' && !zone.includes(':')) zone = `${zone.slice(0, 3)}:${zone.slice(3)}`;
  const text = `${m[1]}T${m[2] ?? '00:00'}:${m[3] ?? '00'}.${frac}${zone}`;
  const ms = Date.parse(text);
  // Date.parse rolls 2024-02-30 over to March; a round trip of the date part rejects that.
  if (Number.isNaN(ms) || new Date(Date.parse(`${m[1]}T00:00:00Z`)).toISOString().slice(0, 10) !== m[1]) return null;
  return ms;
}

export interface ApiConfig {
  apiKey: string;
  limitedApiKey: string;
  pageSizes: Record<StreamName, number>;
  perPage: Partial<Record<StreamName, 'ignore' | number>>;
  heavyAbove: number;
  missingEndpoints: readonly StreamName[];
  childrenGoneEvery: number;
  childStatus: Partial<Record<ChildStream | 'ticket_comments', number>>;
  appointmentsWrapped: boolean;
}

export class Api {
  constructor(
    private readonly store: Store,
    private readonly cache: PageCache,
    private readonly config: ApiConfig,
  ) {}

  handle(r: Route, headers: IncomingHttpHeaders, query: URLSearchParams): ApiReply {
    // Routing comes first, as in Rails: an unknown path is a 404 whatever the key.
    if (r.kind === 'notfound' || (r.kind === 'list' && this.config.missingEndpoints.includes(r.stream))) {
      return json(404, { message: 'Not found' });
    }
    const who = classify(presentedKeys(headers, query), this.config.apiKey, this.config.limitedApiKey);
    if (!who) return json(401, NOT_AUTHORIZED);
    if (r.kind === 'me') return { status: 200, contentType: JSON_TYPE, body: renderMe(who.key, who.kind === 'full') };
    if (r.kind === 'settings') {
      // The account's settings, custom field definitions among them: not for the limited key (no Global Admin).
      if (who.kind === 'limited') return json(401, NO_PERMISSION);
      return json(200, r.tickets ? ticketSettingsAnswer() : settingsAnswer());
    }
    if (r.kind === 'comments') return this.comments(r.ticketId, query);
    if (r.kind === 'child') return this.child(r.endpoint, r.parentId, query);
    if (who.kind === 'limited' && endpoint(r.stream).permission === 'Global Admin') return json(401, NO_PERMISSION);
    if (r.kind === 'detail') return who.kind === 'limited' ? json(401, NO_PERMISSION) : this.detail(r.stream, r.id);
    return this.list(r.stream, query);
  }

  private comments(ticketId: number, query: URLSearchParams): ApiReply {
    const refused = this.config.childStatus.ticket_comments;
    if (refused !== undefined) return json(refused, refused === 401 ? NO_PERMISSION : { error: STATUS_TEXT[refused] ?? 'Error' });
    if (!this.store.has('tickets', ticketId)) return json(404, { message: 'Not found' });
    const page = Math.max(1, toInt(query.get('page')));
    const asked = toInt(query.get('per_page'));
    const perPage = asked < 1 ? COMMENTS_PER_PAGE : Math.min(MAX_PER_PAGE, asked);
    return { status: 200, contentType: JSON_TYPE, body: renderComments(this.store, ticketId, page, perPage) };
  }

  /**
   * A list under a record (children.ts); a parent that does not exist (deleted) answers 404; a child endpoint
   * given a status (childStatus) answers it, as one the token may not read or one that is broken.
   */
  private child(stream: ChildStream, parentId: number, query: URLSearchParams): ApiReply {
    const { parent, pageSize } = CHILD_ENDPOINTS[stream];
    const refused = this.config.childStatus[stream];
    if (refused !== undefined) return json(refused, refused === 401 ? NO_PERMISSION : { error: STATUS_TEXT[refused] ?? 'Error' });
    const gone = this.config.childrenGoneEvery > 0 && parentId % this.config.childrenGoneEvery === 0;
    if (gone || !this.store.has(parent as StreamName, parentId))
      return json(404, stream === 'asset_patches' ? { error: 'Asset not found' } : { message: 'Not found' });
    const { seed } = this.store;
    const added = this.store.childrenAdded(stream, parentId);
    if (stream === 'asset_patches') return json(200, assetPatches(seed, parentId, added));
    if (stream === 'customer_phones') return json(200, { phones: customerPhones(seed, parentId, added) });
    let all = stream === 'product_serials' ? productSerials(seed, parentId, added) : worksheetResults(seed, parentId, added);
    const status = query.get('status');
    if (stream === 'product_serials' && status) all = all.filter((s) => (s.status as string).toLowerCase().replace(' ', '_') === status);
    const page = Math.max(1, toInt(query.get('page')));
    const slice = all.slice((page - 1) * pageSize!, page * pageSize!);
    return json(200, { [CHILD_ENDPOINTS[stream].arrayKeys[0]!]: slice });
  }

  /** The records a page holds: what is asked (up to 100), unless the endpoint ignores or caps per_page. */
  private pageSize(stream: StreamName, asked: number): number {
    const rule = this.config.perPage[stream];
    if (asked < 1 || rule === 'ignore') return this.config.pageSizes[stream];
    return Math.min(MAX_PER_PAGE, asked, rule ?? MAX_PER_PAGE);
  }

  /** GET /users/{id}: {"user": {...}}. */
  private detail(stream: StreamName, id: number): ApiReply {
    if (!this.store.has(stream, id)) return json(404, { message: 'Not found' });
    return json(200, { [endpoint(stream).detailKey!]: this.store.record(stream, id) });
  }

  private list(stream: StreamName, query: URLSearchParams): ApiReply {
    const quirks = endpoint(stream);
    let ids = this.store.ids(stream);
    let filterKey = '';
    if (quirks.hidesDisabled) {
      const all = ['true', '1'].includes(query.get('include_disabled') ?? '');
      if (!all) ids = this.store.enabledCustomers();
      filterKey = all ? 'all' : 'enabled';
    }
    if (quirks.statusFilter) {
      // active (the default) or resolved; all lists both
      const status = query.get('status') ?? 'active';
      if (status !== 'all') ids = this.store.alerts(status === 'resolved');
      filterKey = status === 'all' || status === 'resolved' ? status : 'active';
    }
    const since = query.get('since_updated_at');
    if (quirks.sinceFilter && since) {
      const ms = parseInstant(since);
      if (ms === null) return json(422, { errors: [`since_updated_at is not a valid date-time: ${since}`] });
      ids = this.store.updatedSince(stream, ms);
      filterKey = `since:${ms}`;
    }
    // An endpoint without paging (page size 0) answers the whole list, whatever page is asked.
    const paged = this.config.pageSizes[stream] > 0;
    const page = paged ? Math.max(1, toInt(query.get('page'))) : 1;
    const perPage = paged ? this.pageSize(stream, toInt(query.get('per_page'))) : 0;
    const onPage = Math.min(perPage, ids.length - (page - 1) * perPage);
    if (this.config.heavyAbove > 0 && onPage > this.config.heavyAbove) {
      return { status: 504, contentType: 'text/html', body: GATEWAY_TIME_OUT };
    }
    const key = `${stream}|${this.store.version(stream)}|${page}|${perPage}|${filterKey}`;
    let body = this.cache.get(key);
    if (!body) {
      body = renderListPage(this.store, { stream, ids, page, perPage, wrap: this.config.appointmentsWrapped });
      this.cache.set(key, body);
    }
    return { status: 200, contentType: JSON_TYPE, body };
  }
}
