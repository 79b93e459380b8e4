/**
 * Deterministic record generation: a record is a pure function of (seed, stream, id, revision) and, after a
 * mutation, of the timestamps the store gave it. Nothing is materialised ahead of a request.
 */
import { PEOPLE_BUILDERS } from './builders-people.js';
import { MONEY_BUILDERS } from './builders-money.js';
import { ticket } from './builders-tickets.js';
import { makeCtx, streamHash, withCustomField, type Ctx, type JsonObject } from './record-context.js';
import { mix } from './prng.js';
import { STREAM_NAMES, type StreamName } from './types.js';

export type { JsonObject, JsonValue } from './record-context.js';
export { baseTimes } from './record-context.js';
export { ticketComments, commentCount } from './builders-tickets.js';
export { isDisabledCustomer } from './builders-people.js';

const BUILDERS: Record<StreamName, (c: Ctx) => JsonObject> = { ...PEOPLE_BUILDERS, ...MONEY_BUILDERS, tickets: ticket };

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
  return withCustomField(ctx.g, BUILDERS[stream](ctx));
}

/** Relative sizes of the streams in a default account (appointment_types is fixed apart). */
const WEIGHTS: Record<Exclude<StreamName, 'appointment_types'>, number> = {
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
};

/** Splits `total` records over the streams: exact sum, appointment_types at most 12, the rest by weight. */
export function splitCounts(total: number, overrides: Partial<Record<StreamName, number>> = {}): Record<StreamName, number> {
  const types = Math.min(12, Math.ceil(total / 500));
  let rest = Math.max(0, total - types);
  const names = Object.keys(WEIGHTS) as (keyof typeof WEIGHTS)[];
  const sum = names.reduce((s, n) => s + WEIGHTS[n], 0);
  const out = { appointment_types: types } as Record<StreamName, number>;
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
