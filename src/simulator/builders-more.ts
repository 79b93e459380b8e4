/**
 * Builders of the 13 further list streams: users, ticket timers, timelogs, RMM alerts, purchase orders,
 * vendors, portal users, wiki pages, recurring invoice schedules, payment methods, product categories,
 * canned responses and new-ticket forms. Every field of each schema is present; the quirks are those of
 * docs/api.md#record-shapes (users as [id, name] pairs in the list, alerts filtered on `resolved`, and so on).
 */
import { decimalString, type Gen } from './gen.js';
import { mix } from './prng.js';
import { customerRef } from './builders-people.js';
import { makeCtx, streamHash, type Ctx, type JsonObject, type JsonValue } from './record-context.js';
import * as W from './words.js';

export type MoreStream =
  | 'users'
  | 'ticket_timers'
  | 'timelogs'
  | 'rmm_alerts'
  | 'purchase_orders'
  | 'vendors'
  | 'portal_users'
  | 'wiki_pages'
  | 'schedules'
  | 'payment_methods'
  | 'product_categories'
  | 'canned_responses'
  | 'new_ticket_forms';

const MINUTE = 60_000;
const DAY = 86_400_000;

/** User ids the other streams refer to: a shop has a handful of technicians. */
function userRef(g: Gen): number {
  return g.between(1, 20);
}

function ticketRef(g: Gen): number {
  return g.between(1, 1000);
}

/** Midnight of the day of `ms`, as the API renders plain dates ("2019-11-22T00:00:00.000Z"). */
function dayOf(c: Ctx, ms: number): string {
  return c.ts(Math.floor(ms / DAY) * DAY);
}

/** "Zoë" -> "zoe"; names with no Latin letters fall back to `fallback`. */
function asciiWord(name: string, fallback: string): string {
  return (
    name
      .normalize('NFD')
      .replace(/[^A-Za-z0-9]/g, '')
      .toLowerCase() || fallback
  );
}

// ---------------------------------------------------------------------------------------------- users

const GROUPS = ['Admins', 'Technicians', 'Front Desk', 'Sales', 'Techniciens (Montréal)'];

/** GET /users/{id}: the detail record. The list answers only [id, full_name] pairs: see userListPair. */
export function user(c: Ctx): JsonObject {
  const { g, id } = c;
  const first = g.pick(W.FIRST_NAMES);
  const last = g.pick(W.LAST_NAMES);
  const admin = id === 1 || g.chance(0.15);
  return {
    id,
    email: `${asciiWord(first, 'user')}.${asciiWord(last, 'tech')}${id}@example.com`,
    full_name: `${first} ${last}`,
    created_at: c.created_at,
    updated_at: c.updated_at,
    group: admin ? 'Admins' : g.chance(0.1) ? null : g.pick(GROUPS),
    admin,
    color: g.chance(0.1) ? null : (g.int(0x1000000) + 0x1000000).toString(16).slice(1),
  };
}

/** The name GET /users shows for a user: its full_name. */
export function userName(record: JsonObject): string {
  const name = record['full_name'];
  return typeof name === 'string' ? name : '';
}

/** The element of GET /users for a user record: `[id, "full name"]`. */
export function userListPair(record: JsonObject): [number, string] {
  return [record['id'] as number, userName(record)];
}

// ---------------------------------------------------------------------------------------------- ticket_timers

export function ticketTimer(c: Ctx): JsonObject {
  const { g, id } = c;
  const ticketId = ticketRef(g);
  const running = g.chance(0.05);
  const minutes = g.pick([5, 10, 15, 30, 45, 60, 90, 120, 240]) + g.int(10);
  const startMs = c.createdMs;
  const recorded = !running && g.chance(0.5);
  // active_duration is null or an integer (seconds of running time): both seen by clients.
  const active: JsonValue = running || g.chance(0.4) ? null : minutes * 60;
  return {
    id,
    ticket_id: ticketId,
    user_id: userRef(g),
    start_time: c.ts(startMs),
    end_time: running ? null : c.ts(startMs + minutes * MINUTE),
    recorded,
    created_at: c.created_at,
    updated_at: c.updated_at,
    billable: g.chance(0.7),
    notes: g.chance(0.4) ? null : g.pick([...W.NOTES, 'Remote session', 'Diagnose à distance', 'Drive imaged']),
    toggl_id: g.chance(0.97) ? null : g.digits(10),
    product_id: g.chance(0.7) ? null : g.between(1, 1000),
    comment_id: g.chance(0.6) ? null : ticketId * 16 + g.int(4),
    ticket_line_item_id: recorded ? g.between(1, 5000) : null,
    active_duration: active,
    billable_time: running ? null : Math.ceil(minutes / 15) * 15,
    billable_override: g.chance(0.9) ? null : String(g.pick([15, 30, 60])),
  };
}

// ---------------------------------------------------------------------------------------------- timelogs

export function timelog(c: Ctx): JsonObject {
  const { g, id } = c;
  const open = g.chance(0.08);
  const lunchBreak = g.chance(0.2);
  const span = lunchBreak ? g.between(20, 60) * MINUTE : g.between(3 * 60, 10 * 60) * MINUTE;
  return {
    id,
    in_at: c.ts(c.createdMs - g.int(MINUTE)),
    out_at: open ? null : c.ts(c.createdMs + span),
    account_id: 1,
    user_id: userRef(g),
    in_note: g.chance(0.7) ? null : g.pick(['Arrived on site', 'Start of shift', 'Début de journée', '出勤']),
    out_note: open || g.chance(0.7) ? null : g.pick(['End of shift', 'Left for lunch', 'Fin 🙂']),
    created_at: c.created_at,
    updated_at: c.updated_at,
    // lunch is null or a boolean: both seen by clients.
    lunch: lunchBreak ? true : g.chance(0.5) ? null : false,
    manually_updated: g.chance(0.85) ? null : g.pick(['true', 'false']),
  };
}

// ---------------------------------------------------------------------------------------------- rmm_alerts

/**
 * About half the alerts are resolved; a function of the id alone, so that the store can answer
 * `status=active|resolved|all` without building the records.
 */
export function isResolvedAlert(seed: number, id: number): boolean {
  return mix(seed, streamHash('rmm_alerts'), id, 11) % 2 === 0;
}

const ALERTS: readonly [string, string][] = [
  ['Low Hd Space Trigger', 'C: has less than 10% free space'],
  ['Agent Offline Trigger', 'The agent has not checked in for 30 minutes'],
  ['BSOD Trigger', 'Blue screen: KERNEL_DATA_INPAGE_ERROR'],
  ['Windows Update Trigger', 'Cumulative update failed to install (0x800f0922)'],
  ['Antivirus Trigger', 'Menace détectée : Trojan:Win32/Wacatac'],
  ['Service Monitor', 'Service "Spooler" stopped'],
  ['Event Log Trigger', 'イベント ID 41: 予期しないシャットダウン'],
];

export function rmmAlert(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const resolved = isResolvedAlert(seed, id);
  const [kind, text] = g.pick(ALERTS);
  const ticketed = g.chance(resolved ? 0.5 : 0.3);
  const ticketNumber = 1000 + ticketRef(g);
  return {
    id,
    customer_id: customerRef(g),
    ticket_number: ticketed ? String(ticketNumber) : null,
    ticket_status: ticketed ? g.pick(W.TICKET_STATUSES) : null,
    computer_name: g.chance(0.05) ? null : `${g.pick(['DESKTOP', 'LAPTOP', 'SRV', 'PC-Büro'])}-${g.digits(4)}`,
    properties: g.chance(0.7)
      ? {}
      : { 'Event ID': g.between(1, 9999), Source: g.pick(['Disk', 'Kernel-Power', 'Système']), Acknowledged: g.chance(0.5) },
    resolved,
    check_id: g.chance(0.2) ? null : g.between(1, 300),
    // The alert's own label, not the active/resolved state (that is `resolved`, which status=... filters on).
    status: g.chance(0.1) ? null : kind,
    formatted_output: g.chance(0.3) ? null : `${text}\nChecked: ${c.ts(c.createdMs)}`,
    description: text,
    created_at: c.created_at,
    updated_at: c.updated_at,
    asset_id: g.chance(0.05) ? null : g.between(1, 1000),
  };
}

// ---------------------------------------------------------------------------------------------- vendors

const VENDOR_NAMES = [
  'C & S Wholesalers',
  'Ingram Micro',
  'TD Synnex',
  'Müller Elektronik GmbH',
  'D&H Distributing',
  'Amazon Business',
  'Newegg Business',
  'Fournitures Québec',
  '秋葉原パーツ',
  'Parts "R" Us',
];

export function vendor(c: Ctx): JsonObject {
  const { g, id } = c;
  const name = id <= VENDOR_NAMES.length ? (VENDOR_NAMES[id - 1] as string) : `${g.pick(VENDOR_NAMES)} #${id}`;
  const domain = `${asciiWord(name, 'vendor')}.example.com`;
  return {
    id,
    name,
    rep_first_name: g.chance(0.3) ? null : g.pick(W.FIRST_NAMES),
    rep_last_name: g.chance(0.3) ? null : g.pick(W.LAST_NAMES),
    email: g.chance(0.2) ? null : `sales@${domain}`,
    phone: g.chance(0.2) ? null : g.phone(),
    account_number: g.chance(0.6) ? null : `ACCT-${g.digits(6)}`,
    created_at: c.created_at,
    updated_at: c.updated_at,
    address: g.chance(0.3) ? null : `${g.between(1, 9999)} ${g.pick(W.STREETS)}`,
    city: g.chance(0.3) ? null : g.pick(W.CITIES),
    state: g.pick(W.STATES),
    zip: g.chance(0.3) ? null : g.digits(5),
    website: g.chance(0.3) ? null : `www.${domain}`,
    notes: g.chance(0.5) ? null : g.pick(W.NOTES),
  };
}

const vendorCache = new Map<string, JsonObject>();

/** The vendor as embedded in purchase orders: the vendors stream's record at revision 0, memoised. */
export function nestedVendor(seed: number, vendorId: number): JsonObject {
  const key = `${seed}:${vendorId}`;
  let hit = vendorCache.get(key);
  if (!hit) {
    hit = vendor(makeCtx(seed, 'vendors', vendorId, 0));
    if (vendorCache.size >= 1024) vendorCache.clear();
    vendorCache.set(key, hit);
  }
  return hit;
}

// ---------------------------------------------------------------------------------------------- purchase_orders

const LOCATIONS = ['Main Shop', 'Downtown', 'Filiale Nord', 'Warehouse', '倉庫'];

export function purchaseOrder(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const vendorId = g.between(1, 20);
  const locationId = g.chance(0.7) ? null : g.between(1, LOCATIONS.length);
  const status = g.pick(['Draft', 'Ordered', 'Partially Received', 'Received', 'Cancelled']);
  const lines: JsonObject[] = Array.from({ length: g.between(0, 4) }, (_, i) => {
    const quantity = g.between(1, 20);
    const cost = g.between(100, 50_000);
    const received = status === 'Received' || (status === 'Partially Received' && g.chance(0.5));
    return {
      id: id * 8 + i,
      purchase_order_id: id,
      product_id: g.between(1, 1000),
      quantity,
      cost_cents: cost,
      total_cents: quantity * cost,
      created_at: c.created_at,
      updated_at: c.updated_at,
      received,
      position: g.chance(0.5) ? null : i + 1,
      received_quantity: received ? quantity : 0,
      parent_po_line_item_id: null,
      old_cost_cents: g.chance(0.9) ? null : cost + g.between(-500, 500),
    };
  });
  // other, shipping and total are JSON numbers (dollars) in this endpoint, unlike invoice money.
  const other = g.chance(0.7) ? 0 : g.int(5_000) / 100;
  const shipping = g.chance(0.4) ? 0 : g.int(10_000) / 100;
  const linesCents = lines.reduce((sum, l) => sum + (l['total_cents'] as number), 0);
  return {
    id,
    account_subdomain: 'simshop',
    created_at: c.created_at,
    updated_at: c.updated_at,
    expected_date: g.chance(0.3) ? null : c.ts(c.createdMs + g.between(2, 21) * DAY),
    number: g.chance(0.1) ? null : `PO-${1000 + id}`,
    other,
    shipping,
    shipping_notes: g.chance(0.6) ? null : g.pick(['Ground', 'Overnight', 'Livraison express', 'Pick up at will-call']),
    status,
    total: Math.round(linesCents + other * 100 + shipping * 100) / 100,
    user_id: userRef(g),
    vendor_id: vendorId,
    location_id: locationId,
    due_date: g.chance(0.3) ? null : dayOf(c, c.createdMs + g.pick([7, 14, 30]) * DAY),
    paid_date: g.chance(0.5) ? null : dayOf(c, c.createdMs + g.between(0, 30) * DAY),
    delivery_tracking: g.chance(0.5) ? null : `https://track.example.com/1Z${g.digits(16)}`,
    vendor: nestedVendor(seed, vendorId),
    location: locationId === null ? null : { id: locationId, name: LOCATIONS[locationId - 1] as string },
    line_items: lines,
  };
}

// ---------------------------------------------------------------------------------------------- portal_users

export function portalUser(c: Ctx): JsonObject {
  const { g, id } = c;
  const first = g.pick(W.FIRST_NAMES);
  return {
    id,
    email: `${asciiWord(first, 'portal')}${id}@${g.pick(['example.com', 'example.org', 'client.example.net'])}`,
    account_id: 1,
    customer_id: customerRef(g),
    contact_id: g.chance(0.4) ? null : g.between(1, 2000),
    created_at: c.created_at,
    updated_at: c.updated_at,
    portal_group_id: g.chance(0.2) ? null : g.between(1, 5),
  };
}

// ---------------------------------------------------------------------------------------------- wiki_pages

const WIKI_TITLES = [
  'API Doc',
  'Onboarding checklist',
  'Firewall rules',
  'Backup procedure',
  'Printer setup',
  'VPN access',
  'Procédure de sauvegarde',
  'Passwords policy',
  'サーバー再起動手順',
  'Escalation matrix 🚨',
];

/** Records carry no timestamps. */
export function wikiPage(c: Ctx): JsonObject {
  const { g, id } = c;
  const title = WIKI_TITLES[(id - 1) % WIKI_TITLES.length] as string;
  const name = id <= WIKI_TITLES.length ? title : `${title} (${id})`;
  const slug =
    name
      .normalize('NFD')
      .replace(/[^A-Za-z0-9]+/g, '-')
      .replace(/^-|-$/g, '')
      .toLowerCase() || `page-${id}`;
  const customer = g.chance(0.5) ? null : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`;
  const body = g.chance(0.05) ? null : `<h1>${name}</h1>\n<p>${g.pick(W.NOTES)}</p>\n<p>Customer: {{customer_name}}</p>`;
  return {
    id,
    account_id: 1,
    name,
    slug,
    body,
    interpolated_body: body === null ? null : body.replace('{{customer_name}}', customer ?? ''),
  };
}

// ---------------------------------------------------------------------------------------------- schedules

const FREQUENCIES = [
  'Daily',
  'Weekly',
  'Biweekly',
  'Monthly',
  'Monthly',
  'Monthly',
  'Quarterly',
  'Semi-Annually',
  'Annually',
  'Biennially',
  'Triennially',
];
const PLANS = [
  'Silver Managed Services (Monthly)',
  'Backup 1TB',
  'Microsoft 365 Business',
  'Antivirus seat',
  'Contrat maintenance',
  'Monitoring & Automated Maintenance',
];

/** Recurring invoices. Records carry no timestamps; next_run is a date in either of its two renderings. */
export function schedule(c: Ctx): JsonObject {
  const { g, id } = c;
  const customerId = customerRef(g);
  const lines: JsonObject[] = Array.from({ length: g.chance(0.1) ? 0 : g.between(1, 3) }, (_, i) => {
    const retail = g.pick([2000, 4999, 12_500, 150_000]);
    const cost = Math.round(retail * 0.4);
    const quantity = g.pick([100, 200, 500, 1000, 150]);
    return {
      id: id * 4 + i,
      cost_cents: cost,
      description: g.chance(0.3) ? null : g.pick(W.NOTES),
      name: g.pick(PLANS),
      position: i + 1,
      product_id: g.chance(0.4) ? null : g.between(1, 1000),
      quantity: decimalString(quantity),
      retail_cents: retail,
      schedule_id: id,
      taxable: g.chance(0.3),
      user_id: g.chance(0.5) ? null : userRef(g),
      price_cost: cost / 100,
      price_retail: retail / 100,
      product_category: g.chance(0.5) ? null : g.pick([' Managed Services;Preventive Maintenance', 'Services', 'Logiciels;Licences']),
      asset_type_id: g.chance(0.8) ? null : g.between(1, 6),
      recurring_type_id: g.chance(0.7) ? null : g.between(1, 6),
      device_ids: g.chance(0.8) ? [] : [g.between(1, 1000), g.between(1, 1000)],
      one_time_charge: g.chance(0.1),
    };
  });
  const subtotalCents = lines.reduce((sum, l) => sum + Math.round((l['retail_cents'] as number) * Number(l['quantity'])), 0);
  const nextMs = Math.floor(c.createdMs / DAY) * DAY + g.between(1, 60) * DAY;
  return {
    id,
    account_id: 1,
    customer_id: customerId,
    email_customer: g.chance(0.6),
    frequency: g.pick(FREQUENCIES),
    name: `${g.pick(PLANS)}, ${g.chance(0.5) ? g.pick(W.BUSINESSES) : g.pick(W.LAST_NAMES)}`,
    // The spec renders it as a midnight timestamp, a public client saw a plain date.
    next_run: g.chance(0.6) ? c.ts(nextMs).slice(0, 10) : c.ts(nextMs),
    snail_mail: g.chance(0.1),
    charge_mop: g.chance(0.4),
    // A JSON number (0 in the spec example), unlike the lines' decimal-string quantity.
    subtotal: subtotalCents / 100,
    invoice_unbilled_ticket_charges: g.chance(0.2),
    paused: g.chance(0.1),
    last_invoice_paid: g.chance(0.6) ? null : g.pick(['true', 'false']),
    lines,
  };
}

// ---------------------------------------------------------------------------------------------- payment_methods

const PAYMENT_METHOD_NAMES = [
  'Credit Card',
  'Cash',
  'Check',
  'Offline CC',
  'Quick',
  'Other',
  'ACH',
  'Virement bancaire',
  'PayPal',
  '現金書留',
];

export function paymentMethod(c: Ctx): JsonObject {
  const { g, id } = c;
  const base = PAYMENT_METHOD_NAMES[(id - 1) % PAYMENT_METHOD_NAMES.length] as string;
  const name = id <= PAYMENT_METHOD_NAMES.length ? base : `${base} ${Math.ceil(id / PAYMENT_METHOD_NAMES.length)}`;
  return {
    id,
    name,
    created_at: c.created_at,
    updated_at: c.updated_at,
    uses_card_processing: base === 'Credit Card' ? g.chance(0.7) : g.chance(0.05) ? null : false,
  };
}

// ---------------------------------------------------------------------------------------------- product_categories

const CATEGORY_NAMES = ['Default', 'Hardware', 'Cables', 'Storage', 'Memory', 'Services', 'Accessoires', 'Licences', 'Réparations', '部品'];

function categoryName(id: number): string {
  const base = CATEGORY_NAMES[(id - 1) % CATEGORY_NAMES.length] as string;
  return id <= CATEGORY_NAMES.length ? base : `${base} ${Math.ceil(id / CATEGORY_NAMES.length)}`;
}

/** The parent of a category, or null for a root: a function of the id alone so that names_depth_cache is consistent. */
function categoryParent(id: number): number | null {
  if (id <= 2) return null;
  if (id <= 10) return id <= 5 ? 2 : 1;
  return 1 + (mix(id, 0xca7) % (id - 1));
}

/** A tree: ancestry holds the ancestors' ids ("1/2"), names_depth_cache their names (";"-joined). Records carry no timestamps. */
export function productCategory(c: Ctx): JsonObject {
  const { g, id } = c;
  const chain: number[] = [];
  for (let p = categoryParent(id); p !== null && chain.length < 8; p = categoryParent(p)) chain.unshift(p);
  const name = categoryName(id);
  return {
    id,
    account_id: 1,
    ancestry: chain.length === 0 ? null : chain.join('/'),
    name,
    description: g.chance(0.6) ? null : g.pick([`All ${name.toLowerCase()}`, g.pick(W.NOTES)]),
    device_product_id: g.chance(0.9) ? null : g.between(1, 1000),
    names_depth_cache: [...chain.map(categoryName), name].join(';'),
  };
}

// ---------------------------------------------------------------------------------------------- canned_responses

const CANNED_CATEGORIES = ['General', 'Billing', 'Hardware', 'Remote Support', 'Réponses types', 'お知らせ'];
const CANNED = [
  ['Thanks for contacting us', 'Hi {{contact_firstname}},\n\nThanks for reaching out; a technician will call you shortly.'],
  ['Ready for pick-up', 'Your device is repaired and ready for pick-up. Merci !'],
  ['Waiting for parts', 'We ordered the part; expected delivery in 3–5 business days.'],
  ['Remote session', 'Please open https://remote.example.com and read us the 9-digit code.'],
  ['Invoice reminder', 'Friendly reminder: invoice {{invoice_number}} is due.'],
  ['Closing ticket', 'We are closing this ticket. Reply to reopen it 🙂'],
] as const;

/** Records carry no timestamps. */
export function cannedResponse(c: Ctx): JsonObject {
  const { g, id } = c;
  const [title, body] = CANNED[(id - 1) % CANNED.length] as (typeof CANNED)[number];
  const categoryId = g.chance(0.2) ? null : g.between(1, CANNED_CATEGORIES.length);
  return {
    id,
    title: id <= CANNED.length ? title : `${title} (${id})`,
    body,
    subject: g.chance(0.3) ? null : `Re: ${g.pick(W.SUBJECTS)}`,
    canned_response_category_id: categoryId,
    category_name: categoryId === null ? null : (CANNED_CATEGORIES[categoryId - 1] as string),
  };
}

// ---------------------------------------------------------------------------------------------- new_ticket_forms

const FORM_NAMES = ['Phone Repair', 'Computer Check-in', 'Remote Support', 'On-site Visit', 'Réparation tablette', 'データ復旧受付'];
const CUSTOMER_FIELDS = [
  'firstname',
  'lastname',
  'business_name',
  'email',
  'phone',
  'address',
  'referred_by',
  'tax_rate_id',
  'get_sms',
  'opt_out',
  'no_email',
  'send_portal_invitation',
  'notification_email',
  'invoice_cc_emails',
  'invoice_term_id',
  'custom_fields',
];
const TICKET_FIELDS = [
  'subject',
  'description',
  'user_id',
  'priority',
  'due_date',
  'problem_type',
  'notify_emails',
  'category',
  'address_id',
  'contract_id',
  'sla_id',
  'ticket_type_id',
  'do_not_email',
  'isapproved',
  'pre_diagnosed',
];
const SHOW = ['require', 'show', 'hide'];

function formFields(g: Gen, names: readonly string[]): JsonObject {
  const out: JsonObject = {};
  for (const n of names) out[n] = g.pick(SHOW);
  return out;
}

/** Records carry no timestamps; `data` is the form's layout, section by section. */
export function newTicketForm(c: Ctx): JsonObject {
  const { g, id } = c;
  const base = FORM_NAMES[(id - 1) % FORM_NAMES.length] as string;
  const order = g.chance(0.7) ? ['1', '2', '3', '4'] : ['2', '1', '4', '3'];
  return {
    id,
    name: id <= FORM_NAMES.length ? base : `${base} ${id}`,
    default: id === 1,
    disabled: id !== 1 && g.chance(0.15),
    data: {
      customer_details: {
        fields: formFields(g, CUSTOMER_FIELDS),
        defaults: { placeholder: g.chance(0.8) ? '' : 'Nom du client' },
        position: order[0] as string,
      },
      ticket_details: {
        fields: formFields(g, TICKET_FIELDS),
        defaults: { placeholder: '', isapproved: g.chance(0.5) ? 'true' : 'false', pre_diagnosed: 'true' },
        disabled: g.chance(0.5) ? ['subject', 'problem_type'] : [],
        position: order[1] as string,
      },
      worksheets: { position: order[2] as string },
      related_assets: { position: order[3] as string },
    },
  };
}

/** The stream builders of this module, by stream name. */
export const MORE_BUILDERS: Record<MoreStream, (c: Ctx) => JsonObject> = {
  users: user,
  ticket_timers: ticketTimer,
  timelogs: timelog,
  rmm_alerts: rmmAlert,
  purchase_orders: purchaseOrder,
  vendors: vendor,
  portal_users: portalUser,
  wiki_pages: wikiPage,
  schedules: schedule,
  payment_methods: paymentMethod,
  product_categories: productCategory,
  canned_responses: cannedResponse,
  new_ticket_forms: newTicketForm,
};
