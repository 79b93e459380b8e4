/** Builders of the money-and-stock streams: contracts, estimates, invoices, items, line items, payments, products. */
import { decimalString } from './gen.js';
import { customerRef, nestedCustomer } from './builders-people.js';
import type { Ctx, JsonObject, JsonValue } from './record-context.js';
import * as W from './words.js';

const DAY = 86_400_000;

/** Midnight of the day of `ms`, as the API renders plain dates ("2019-10-23T00:00:00.000Z"). */
function dayOf(c: Ctx, ms: number): string {
  return c.ts(Math.floor(ms / DAY) * DAY);
}

export function contract(c: Ctx): JsonObject {
  const { g, id } = c;
  const start = c.createdMs + g.between(0, 30) * DAY;
  // Quirk: primary_contact is a name in most accounts and a boolean in some.
  const primary: JsonValue = g.chance(0.2) ? g.chance(0.5) : g.chance(0.3) ? null : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`;
  return {
    id,
    account_id: 1,
    customer_id: customerRef(g),
    name: g.pick(['Support Tier 1', 'Support Tier 2', 'Managed Services', 'Backup Plan', 'Contrat Sérénité', '保守契約']),
    contract_amount: g.chance(0.3) ? g.pick(['30k', 'TBD', '$500/mo']) : g.money(5_000_000),
    start_date: dayOf(c, start),
    end_date: g.chance(0.2) ? null : dayOf(c, start + 365 * DAY),
    primary_contact: primary,
    description: g.chance(0.4) ? null : g.pick(W.NOTES),
    created_at: c.created_at,
    updated_at: c.updated_at,
    status: g.pick(W.CONTRACT_STATUSES),
    likelihood: g.chance(0.3) ? null : g.pick([10, 30, 50, 90, 100]),
    apply_to_all: g.chance(0.2),
    sla_id: g.chance(0.6) ? null : g.between(1, 4),
  };
}

/** subtotal, tax and total as decimal strings that add up. */
function amounts(c: Ctx): { subtotal: string; tax: string; total: string } {
  const sub = c.g.chance(0.1) ? 0 : c.g.int(500_000);
  const tax = Math.round(sub * c.g.pick([0, 0.05, 0.0825, 0.2]));
  return { subtotal: decimalString(sub), tax: decimalString(tax), total: decimalString(sub + tax) };
}

export function estimate(c: Ctx): JsonObject {
  const { g, id } = c;
  return {
    id,
    customer_id: customerRef(g),
    customer_business_then_name: g.chance(0.5) ? g.pick(W.BUSINESSES) : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`,
    name: g.chance(0.5) ? null : g.pick(W.SUBJECTS),
    number: String(1000 + id),
    status: g.pick(['Fresh', 'Draft', 'Approved', 'Declined']),
    created_at: c.created_at,
    updated_at: c.updated_at,
    date: dayOf(c, c.createdMs),
    ...amounts(c),
    ticket_id: g.chance(0.5) ? null : g.between(1, 5000),
    pdf_url: g.chance(0.5) ? null : `https://sim.example.com/estimates/${id}.pdf`,
    location_id: g.chance(0.7) ? null : g.between(1, 5),
    invoice_id: g.chance(0.6) ? null : g.between(1, 5000),
    employee: g.chance(0.3) ? null : `tech${g.between(1, 9)}@example.com`,
  };
}

export function invoice(c: Ctx): JsonObject {
  const { g, id } = c;
  const paid = g.chance(0.6);
  // Quirk: hardwarecost is null, a decimal string or a plain number depending on the account's age.
  const hardware: JsonValue = g.chance(0.4) ? null : g.chance(0.5) ? '0.0' : g.int(50_000) / 100;
  return {
    id,
    customer_id: customerRef(g),
    customer_business_then_name: g.chance(0.5) ? g.pick(W.BUSINESSES) : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`,
    number: String(4000 + id),
    created_at: c.created_at,
    updated_at: c.updated_at,
    date: dayOf(c, c.createdMs),
    due_date: dayOf(c, c.createdMs + g.pick([0, 14, 30]) * DAY),
    ...amounts(c),
    verified_paid: paid && g.chance(0.5),
    tech_marked_paid: paid && g.chance(0.3),
    ticket_id: g.chance(0.4) ? null : g.between(1, 5000),
    pdf_url: g.chance(0.5) ? null : `https://sim.example.com/invoices/${id}.pdf`,
    is_paid: paid,
    location_id: g.chance(0.7) ? null : g.between(1, 5),
    po_number: g.chance(0.8) ? null : `PO-${g.digits(6)}`,
    contact_id: g.chance(0.7) ? null : g.between(1, 2000),
    note: g.chance(0.6) ? null : g.pick(W.NOTES),
    hardwarecost: hardware,
    user_id: g.chance(0.4) ? null : g.between(1, 12),
  };
}

export function item(c: Ctx): JsonObject {
  const { g, id } = c;
  const ordered = g.chance(0.7);
  const received = ordered && g.chance(0.6);
  const ticketNo = g.between(100, 9999);
  // Quirk: ticketnum is a string in the spec and a number in some accounts.
  const ticketnum: JsonValue = g.chance(0.2) ? null : g.chance(0.25) ? ticketNo : String(ticketNo);
  const cents = g.int(100_000);
  return {
    id,
    requestedon: c.ts(c.createdMs - g.between(0, 5) * DAY),
    ticketnum,
    parturl: g.chance(0.4) ? null : g.pick(['https://amazon.com/', 'https://www.newegg.com/p/123', 'https://example.com/part?id=42&ref=ü']),
    shipping: g.chance(0.6) ? null : g.money(3000),
    deststore: g.chance(0.7) ? null : g.pick(['Main Shop', 'Downtown']),
    orderedby: ordered ? g.pick(W.TECHS) : null,
    orderedon: ordered ? c.ts(c.createdMs + DAY) : null,
    trackingnum: g.chance(0.4) ? null : `1Z${g.digits(16)}`,
    receivedon: received ? c.ts(c.createdMs + 4 * DAY) : null,
    price: decimalString(cents),
    account_id: 1,
    description: g.chance(0.4) ? null : g.pick(W.PRODUCTS),
    destination_location_id: g.chance(0.7) ? null : g.between(1, 5),
    from_location_id: null,
    from_name: g.chance(0.8) ? null : g.pick(['Amazon', 'Newegg', 'Fournisseur SA']),
    received_at: received ? c.ts(c.createdMs + 4 * DAY) : null,
    user_id: g.chance(0.5) ? null : g.between(1, 12),
    created_at: c.created_at,
    updated_at: c.updated_at,
    due_at: g.chance(0.6) ? null : c.ts(c.createdMs + 7 * DAY),
    ticket_id: g.chance(0.5) ? null : g.between(1, 5000),
    logistic_state: g.chance(0.5) ? null : g.pick(['requested', 'ordered', 'received']),
    product_id: g.chance(0.5) ? null : g.between(1, 1000),
    quantity: g.chance(0.3) ? null : String(g.between(1, 10)),
    round_trip: g.chance(0.1),
    trip_leg: null,
    retail_cents: g.chance(0.4) ? null : Math.round(cents * 1.3),
    taxable: g.chance(0.8),
    converted: g.chance(0.2),
    notes: g.chance(0.7) ? null : g.pick(W.NOTES),
    refurb_id: null,
    invoice_id: g.chance(0.7) ? null : g.between(1, 5000),
  };
}

export function lineItem(c: Ctx): JsonObject {
  const { g, id } = c;
  const price = g.int(50_000);
  return {
    id,
    created_at: c.created_at,
    updated_at: c.updated_at,
    invoice_id: g.chance(0.1) ? null : g.between(1, 5000),
    item: g.pick(['Labor', 'Part', 'Service', 'Réparation', null]),
    name: g.pick(W.PRODUCTS),
    cost: decimalString(Math.round(price * 0.6)),
    price: decimalString(price),
    quantity: g.pick(['1.0', '2.0', '0.5', '10.0', '1.25']),
    product_id: g.chance(0.4) ? null : g.between(1, 1000),
    taxable: g.chance(0.7),
    discount_percent: g.chance(0.8) ? '0.0' : g.pick(['5.0', '10.0', '12.5']),
    position: g.between(1, 20),
    invoice_bundle_id: g.chance(0.9) ? null : g.between(1, 50),
    discount_dollars: g.chance(0.8) ? '0.0' : g.money(5000),
  };
}

export function payment(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const customerId = customerRef(g);
  // invoice_ids may hold null (the spec example is [null]).
  const invoices = g.chance(0.2) ? [null] : Array.from({ length: g.between(0, 3) }, () => (g.chance(0.1) ? null : g.between(1, 5000)));
  return {
    id,
    created_at: c.created_at,
    updated_at: c.updated_at,
    success: g.chance(0.95),
    payment_amount: g.chance(0.3) ? g.between(1, 500) : g.int(100_000) / 100,
    invoice_ids: invoices,
    ref_num: g.chance(0.3) ? null : g.digits(5),
    applied_at: dayOf(c, c.createdMs),
    payment_method: g.pick(W.PAYMENT_METHODS),
    transaction_response: g.chance(0.8) ? null : g.pick(['Approved', 'Déclinée', '{"code":"00"}']),
    signature_date: g.chance(0.8) ? null : c.ts(c.createdMs),
    customer: nestedCustomer(seed, customerId),
  };
}

export function product(c: Ctx): JsonObject {
  const { g, id } = c;
  const cost = g.int(100_000) / 100;
  return {
    id,
    price_cost: cost,
    price_retail: Math.round(cost * 150) / 100,
    condition: g.chance(0.7) ? null : g.pick(['New', 'Refurbished', 'Used']),
    description: g.chance(0.3) ? null : `Description #${id}`,
    maintain_stock: g.chance(0.5),
    name: `${g.pick(W.PRODUCTS)} #${id}`,
    quantity: g.between(0, 200),
    warranty: g.chance(0.7) ? null : g.pick(['90 days', '1 year', '2 ans']),
    sort_order: null,
    reorder_at: g.chance(0.9) ? null : c.ts(c.createdMs + 30 * DAY),
    disabled: g.chance(0.05),
    taxable: g.chance(0.8),
    product_category: g.chance(0.5) ? null : g.pick(['Cables', 'Storage', 'Memory', 'Accessoires']),
    category_path: g.chance(0.5) ? null : g.pick(['Hardware > Cables', 'Hardware > Storage', '部品 > メモリ']),
    upc_code: g.chance(0.6) ? null : g.digits(12),
    discount_percent: g.chance(0.8) ? null : g.pick(['5.0', '10.0']),
    warranty_template_id: g.chance(0.8) ? null : g.between(1, 5),
    qb_item_id: g.chance(0.5) ? null : g.between(1, 9999),
    desired_stock_level: g.chance(0.7) ? null : String(g.between(1, 50)),
    price_wholesale: g.chance(0.5) ? 0 : Math.round(cost * 110) / 100,
    notes: g.chance(0.7) ? null : g.pick(W.NOTES),
    tax_rate_id: g.chance(0.8) ? null : g.between(1, 4),
    physical_location: g.chance(0.7) ? null : `Shelf ${g.pick(['A', 'B', 'C'])}${g.between(1, 9)}`,
    serialized: g.chance(0.2),
    vendor_ids: g.chance(0.6) ? [] : [g.between(1, 20)],
    product_skus: g.chance(0.4)
      ? []
      : [{ id: id * 3, vendor_name: g.pick(['ExampleString', 'Ingram Micro', 'Müller GmbH']), sku: `SKU${g.digits(6)}` }],
    long_description: g.chance(0.8) ? null : `${g.pick(W.NOTES)} ${g.pick(W.NOTES)}`,
    location_quantities: g.chance(0.5) ? [] : [{ id: id * 5, product_id: id, location_id: g.between(1, 5), quantity: g.between(0, 50) }],
    photos: g.chance(0.8) ? [] : [{ id: id * 7, file_name: `product-${id}.jpg`, photo_url: `https://sim.example.com/photos/${id}.jpg` }],
  };
}

/** The stream builders of this module, by stream name. */
export const MONEY_BUILDERS = {
  contracts: contract,
  estimates: estimate,
  invoices: invoice,
  items: item,
  line_items: lineItem,
  payments: payment,
  products: product,
} as const;
