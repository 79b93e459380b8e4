/** Rendering of API bodies: list pages (with their meta variant), ticket comments, /me. */
import { ticketComments } from './data.js';
import { endpoint } from './endpoints.js';
import type { Store } from './store.js';
import type { StreamName } from './types.js';

export interface PageRequest {
  stream: StreamName;
  /** The ids to page over (already filtered). */
  ids: Int32Array;
  page: number;
  /** 0 = everything on one page (appointment_types). */
  perPage: number;
  /** Whether an endpoint with a wrapper (appointments) wraps its elements. */
  wrap: boolean;
}

export function renderListPage(store: Store, r: PageRequest): Buffer {
  const total = r.ids.length;
  const perPage = r.perPage > 0 ? r.perPage : Math.max(1, total);
  const from = r.perPage > 0 ? (r.page - 1) * perPage : 0;
  const to = Math.min(total, from + perPage);
  const { arrayKey, wrapper, meta: kind, detailKey } = endpoint(r.stream);
  const parts: string[] = [];
  for (let i = from; i < to; i++) {
    const rec = store.record(r.stream, r.ids[i] as number);
    // A list of pairs names its records ([id, full_name]); each is read from its own detail endpoint.
    const element = detailKey ? [rec['id'], rec['full_name']] : wrapper && r.wrap ? { [wrapper]: rec } : rec;
    parts.push(JSON.stringify(element));
  }
  // Pages are big; joining pre-stringified records avoids building one large object graph.
  let body = `{${JSON.stringify(arrayKey)}:[${parts.join(',')}]`;
  const totalPages = Math.ceil(total / perPage);
  if (kind === 'full')
    body += `,"meta":${JSON.stringify({ total_pages: totalPages, total_entries: total, per_page: perPage, page: r.page })}`;
  else if (kind === 'short') body += `,"meta":${JSON.stringify({ total_pages: totalPages, page: r.page })}`;
  return Buffer.from(body + '}');
}

export function renderComments(store: Store, ticketId: number, page: number, perPage: number): Buffer {
  const created = store.created('tickets', ticketId);
  const all = ticketComments(store.seed, ticketId, created.ms, created.offsetMinutes, 16, store.commentsAdded(ticketId));
  const slice = all.slice((page - 1) * perPage, page * perPage);
  return Buffer.from(JSON.stringify({ comments: slice, meta: { total_pages: Math.ceil(all.length / perPage), page, per_page: perPage } }));
}

/** GET /me as in the spec's example; like the real API it echoes the caller's token in user_token. */
export function renderMe(key: string, admin: boolean): Buffer {
  const crud = { read: true, write: admin, delete: admin };
  return Buffer.from(
    JSON.stringify({
      user_token: key,
      user_email: admin ? 'joedoe@example.com' : 'techie@example.com',
      user_name: admin ? 'Joe Doe' : 'Tech Ïe',
      user_id: admin ? 1 : 2,
      admin,
      can_use_app: true,
      two_factor_required: false,
      subdomain: 'simulator',
      default_location: null,
      enable_multi_locations: false,
      locations_allowed: [],
      permissions: {
        asset: crud,
        customer: crud,
        ticket: crud,
        invoice: crud,
        payment: crud,
        worksheet: { add: true, manage: admin, delete: admin },
        script: { execute: admin },
      },
    }),
  );
}
