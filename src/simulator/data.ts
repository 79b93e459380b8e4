/**
 * Deterministic record generation: a record is a pure function of (seed, stream, id, revision) and, after a
 * mutation, of the timestamps the store gave it. Nothing is materialised ahead of a request.
 */
import { MORE_BUILDERS } from './builders-more.js';
import { PEOPLE_BUILDERS } from './builders-people.js';
import { MONEY_BUILDERS } from './builders-money.js';
import { ticket } from './builders-tickets.js';
import { makeCtx, streamHash, withUnlistedMember, type Ctx, type JsonObject } from './record-context.js';
import { mix } from './prng.js';
import { STREAM_NAMES, type StreamName } from './types.js';

export type { JsonObject, JsonValue } from './record-context.js';
export { baseTimes } from './record-context.js';
export { ticketComments, commentCount } from './builders-tickets.js';
export { isDisabledCustomer } from './builders-people.js';
export { isResolvedAlert } from './builders-more.js';

const BUILDERS: Record<StreamName, (c: Ctx) => JsonObject> = { ...PEOPLE_BUILDERS, ...MONEY_BUILDERS, ...MORE_BUILDERS, tickets: ticket };

/**
 * The record `id` of `stream` at `revision`. `updatedAtOverride` is the updated_at a mutation set;
 * `createdAtOverride` the created_at of an inserted record. Products carry no timestamps at all.
 */
export function recordFor(
  seed: number,
  stream: StreamName,
  id: number,
  revision: number,
  updatedAtOverride?: string,
  createdAtOverride?: string,
): JsonObject {
  const ctx = makeCtx(seed, stream, id, revision, updatedAtOverride, createdAtOverride);
  return withUnlistedMember(ctx.g, BUILDERS[stream](ctx));
}

/**
 * Lists that do not grow with the account (and that the API answers whole, without paging): one record
 * per `per` records of the total, at most `max`.
 */
const SMALL = {
  appointment_types: { max: 12, per: 500 },
  users: { max: 25, per: 250 },
  payment_methods: { max: 6, per: 1000 },
  product_categories: { max: 30, per: 200 },
  canned_responses: { max: 40, per: 150 },
  new_ticket_forms: { max: 5, per: 1000 },
} as const satisfies Partial<Record<StreamName, { max: number; per: number }>>;

/** Relative sizes of the other streams in a default account. */
const WEIGHTS: Record<Exclude<StreamName, keyof typeof SMALL>, number> = {
  tickets: 20,
  line_items: 20,
  invoices: 16,
  customers: 12,
  contacts: 6,
  customer_assets: 6,
  payments: 6,
  estimates: 4,
  items: 3,
  leads: 3,
  appointments: 3,
  contracts: 1,
  products: 2,
  ticket_timers: 4,
  timelogs: 3,
  rmm_alerts: 4,
  portal_users: 2,
  purchase_orders: 1,
  schedules: 1,
  vendors: 0.5,
  wiki_pages: 0.5,
};

/** Splits `total` records over the streams: exact sum, the small lists first, the rest by weight. */
export function splitCounts(total: number, overrides: Partial<Record<StreamName, number>> = {}): Record<StreamName, number> {
  const out = {} as Record<StreamName, number>;
  let rest = total;
  for (const [name, { max, per }] of Object.entries(SMALL) as [keyof typeof SMALL, { max: number; per: number }][]) {
    out[name] = Math.min(max, rest, Math.ceil(total / per));
    rest -= out[name];
  }
  const names = Object.keys(WEIGHTS) as (keyof typeof WEIGHTS)[];
  const sum = names.reduce((s, n) => s + WEIGHTS[n], 0);
  // Largest remainder, so that the counts add up to exactly `total`.
  const shares = names.map((n) => ({ n, exact: (rest * WEIGHTS[n]) / sum }));
  for (const s of shares) {
    out[s.n] = Math.floor(s.exact);
    rest -= out[s.n];
  }
  shares.sort((a, b) => b.exact - Math.floor(b.exact) - (a.exact - Math.floor(a.exact)));
  for (let i = 0; rest > 0; i++, rest--) out[(shares[i % shares.length] as { n: keyof typeof WEIGHTS }).n] += 1;
  for (const n of STREAM_NAMES) {
    const o = overrides[n];
    if (o !== undefined) out[n] = Math.max(0, Math.floor(o));
  }
  return out;
}

/**
 * The initial ids of a stream, ascending: mostly consecutive with a gap now and then (deleted records),
 * so that a client cannot mistake ids for positions.
 */
export function initialIds(seed: number, stream: StreamName, count: number): Int32Array {
  const ids = new Int32Array(count);
  const salt = mix(seed, streamHash(stream), 0x1d5);
  let id = 1 + (salt % 50);
  for (let i = 0; i < count; i++) {
    ids[i] = id;
    const h = mix(salt, i);
    id += h % 10 === 0 ? 2 + ((h >>> 8) % 5) : 1;
  }
  return ids;
}
