/** Builders of the people-and-places streams: customers, contacts, leads, assets, appointments and their types. */
import { withCustomFields } from './custom-fields.js';
import { mix } from './prng.js';
import { makeCtx, streamHash, type Ctx, type JsonObject } from './record-context.js';
import type { Gen } from './gen.js';
import * as W from './words.js';

/** Customer ids the other streams refer to; the low ids exist in any account of a useful size. */
export function customerRef(g: Gen): number {
  return g.between(1, 500);
}

/** About 5% of customers are disabled; a function of the id alone so that the store can filter cheaply. */
export function isDisabledCustomer(seed: number, id: number): boolean {
  return mix(seed, streamHash('customers'), id, 7) % 20 === 0;
}

const localParts = new Map<string, string>();

function emailFor(g: Gen, name: string, id: number): string {
  let local = localParts.get(name);
  if (local === undefined) {
    // "Zoë" -> "zoe"; names with no Latin letters fall back to "user".
    local =
      name
        .normalize('NFD')
        .replace(/[^A-Za-z]/g, '')
        .toLowerCase() || 'user';
    localParts.set(name, local);
  }
  return `${local}${id}@${g.pick(['example.com', 'example.org', 'mail.example.net'])}`;
}

export function customer(c: Ctx): JsonObject {
  const { g, id } = c;
  const firstname = g.pick(W.FIRST_NAMES);
  const lastname = g.pick(W.LAST_NAMES);
  const fullname = `${firstname} ${lastname}`;
  const business = g.chance(0.4) ? g.pick(W.BUSINESSES) : null;
  const thenName = business ?? fullname;
  const notify = (bit: number) => ((id >> bit) & 1 ? '1' : '0');
  return withCustomFields(
    c,
    'customers',
    {
      id,
      firstname,
      lastname,
      fullname,
      business_name: business,
      email: g.orNull(emailFor(g, firstname, id), 0.1),
      phone: g.orNull(g.phone(), 0.15),
      mobile: g.orNull(g.phone(), 0.5),
      created_at: c.created_at,
      updated_at: c.updated_at,
      pdf_url: null,
      address: g.orNull(`${g.between(1, 9999)} ${g.pick(W.STREETS)}`, 0.3),
      address_2: g.chance(0.8) ? null : `Suite ${g.between(1, 500)}`,
      city: g.orNull(g.pick(W.CITIES), 0.3),
      state: g.pick(W.STATES),
      zip: g.orNull(g.digits(5), 0.3),
      latitude: g.chance(0.5) ? null : g.latitude(),
      longitude: g.chance(0.5) ? null : g.longitude(),
      notes: g.chance(0.5) ? null : g.pick(W.NOTES),
      get_sms: g.chance(0.3),
      opt_out: g.chance(0.1),
      disabled: isDisabledCustomer(c.seed, id),
      no_email: g.chance(0.2),
      location_name: g.chance(0.7) ? null : g.pick(['Main Shop', 'Downtown', 'Filiale Nord']),
      location_id: g.chance(0.7) ? null : g.between(1, 5),
      properties: {},
      online_profile_url: `https://sim.example.com/my_profile/v2/index?portal_key=${g.digits(8)}`,
      tax_rate_id: g.chance(0.8) ? null : g.between(1, 4),
      notification_email: g.chance(0.8) ? null : emailFor(g, 'billing', id),
      invoice_cc_emails: g.chance(0.9) ? null : emailFor(g, 'cc', id),
      invoice_term_id: g.chance(0.7) ? null : g.between(1, 3),
      referred_by: g.chance(0.8) ? null : g.pick(['Google', 'Yelp', 'A friend', 'Bouche-à-oreille']),
      ref_customer_id: g.chance(0.9) ? null : g.between(1, 500),
      business_and_full_name: business ? `${business} - ${fullname}` : fullname,
      business_then_name: thenName,
      contacts: g.chance(0.6)
        ? []
        : Array.from({ length: g.between(1, 3) }, (_, i) => ({
            id: id * 10 + i,
            name: `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`,
            email: emailFor(g, 'contact', id * 10 + i),
          })),
    },
    { notification_billing: notify(0), notification_reports: notify(1), notification_marketing: notify(2) },
  );
}

const nestedCache = new Map<string, JsonObject>();
const NESTED_CACHE_ENTRIES = 4096;

/**
 * The customer as embedded in assets, payments and appointments: the customers stream's record at revision 0.
 * Pure, so memoised: a few hundred customers are embedded over and over.
 */
export function nestedCustomer(seed: number, customerId: number): JsonObject {
  const key = `${seed}:${customerId}`;
  let hit = nestedCache.get(key);
  if (!hit) {
    hit = customer(makeCtx(seed, 'customers', customerId, 0));
    if (nestedCache.size >= NESTED_CACHE_ENTRIES) nestedCache.clear();
    nestedCache.set(key, hit);
  }
  return hit;
}

export function contact(c: Ctx): JsonObject {
  const { g, id } = c;
  const name = `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`;
  return {
    id,
    name,
    address1: g.orNull(`${g.between(1, 9999)} ${g.pick(W.STREETS)}`, 0.3),
    address2: g.chance(0.85) ? null : `Apt ${g.between(1, 99)}`,
    city: g.orNull(g.pick(W.CITIES), 0.3),
    state: g.pick(W.STATES),
    zip: g.orNull(g.digits(5), 0.3),
    email: g.orNull(emailFor(g, name, id), 0.2),
    phone: g.orNull(g.phone(), 0.3),
    mobile: g.orNull(g.phone(), 0.5),
    latitude: g.chance(0.6) ? null : g.latitude(),
    longitude: g.chance(0.6) ? null : g.longitude(),
    customer_id: customerRef(g),
    account_id: 1,
    notes: g.chance(0.6) ? null : g.pick(W.NOTES),
    created_at: c.created_at,
    updated_at: c.updated_at,
    vendor_id: g.chance(0.9) ? null : g.between(1, 20),
    properties: g.chance(0.7) ? {} : { Title: g.pick(['CEO', 'IT Manager', 'Comptable']), 'Ext.': g.between(100, 999) },
    opt_out: g.chance(0.1),
    extension: g.chance(0.8) ? null : String(g.between(100, 999)),
  };
}

export function lead(c: Ctx): JsonObject {
  const { g, id } = c;
  const first = g.pick(W.FIRST_NAMES);
  const last = g.pick(W.LAST_NAMES);
  const converted = g.chance(0.3);
  return {
    id,
    first_name: first,
    last_name: last,
    email: g.orNull(emailFor(g, first, id), 0.1),
    phone: g.orNull(g.phone(), 0.3),
    mobile: g.orNull(g.phone(), 0.6),
    created_at: c.created_at,
    updated_at: c.updated_at,
    address: g.orNull(`${g.between(1, 9999)} ${g.pick(W.STREETS)}`, 0.5),
    city: g.orNull(g.pick(W.CITIES), 0.5),
    state: g.pick(W.STATES),
    zip: g.orNull(g.digits(5), 0.5),
    ticket_subject: g.pick(W.SUBJECTS),
    ticket_description: g.pick(W.NOTES),
    ticket_problem_type: g.pick(W.PROBLEM_TYPES),
    ticket_id: converted ? g.between(1, 5000) : null,
    customer_id: converted ? customerRef(g) : null,
    contact_id: g.chance(0.8) ? null : g.between(1, 2000),
    mailbox_id: g.chance(0.5) ? null : g.between(1, 3),
    mailbox_name: g.chance(0.5) ? null : g.pick(['support@', 'sales@', 'info@']),
    business_then_name: g.chance(0.5) ? `${first} ${last}` : g.pick(W.BUSINESSES),
    has_attachments: g.chance(0.2),
    message_read: g.chance(0.7),
    status: g.pick(W.LEAD_STATUSES),
    user_id: g.chance(0.5) ? null : g.between(1, 12),
    location_id: g.chance(0.7) ? null : g.between(1, 5),
  };
}

export function customerAsset(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const customerId = customerRef(g);
  const assetType = g.pick(W.ASSET_TYPES);
  const store: JsonObject | null = g.chance(0.6)
    ? {
        id: id + 100000,
        asset_id: id,
        account_id: 1,
        triggers: {
          bsod_triggered: g.chance(0.1) ? 'true' : 'false',
          low_hd_space_triggered: g.chance(0.2) ? 'true' : 'false',
          agent_offline_triggered: 'false',
        },
        windows_updates: g.chance(0.5) ? {} : { pending: g.between(0, 12), last_checked: c.ts(c.createdMs + 86_400_000) },
        emsisoft: {},
        general: g.chance(0.5) ? {} : { os: g.pick(['Windows 11', 'Windows 10', 'macOS 14', 'Ubuntu 22.04']), ram_gb: g.pick([8, 16, 32]) },
        created_at: c.created_at,
        updated_at: c.updated_at,
        override_alert_agent_offline_mins: g.chance(0.9) ? null : String(g.between(5, 60)),
        override_alert_agent_rearm_after_mins: null,
        override_low_hd_threshold: g.chance(0.9) ? null : String(g.between(5, 20)),
        override_autoresolve_offline_alert: null,
      }
    : null;
  const address: JsonObject | null = g.chance(0.5)
    ? {
        id: id + 200000,
        name: g.pick(['Home', 'Office', 'Entrepôt']),
        customer_id: customerId,
        address_type_id: g.between(1, 3),
        address1: `${g.between(1, 9999)} ${g.pick(W.STREETS)}`,
        address2: g.chance(0.8) ? null : `Floor ${g.between(1, 30)}`,
        city: g.pick(W.CITIES),
        state: g.pick(W.STATES),
        zip: g.digits(5),
        latitude: g.chance(0.5) ? null : g.latitude(),
        longitude: g.chance(0.5) ? null : g.longitude(),
        created_at: c.created_at,
        updated_at: c.updated_at,
        account_id: 1,
      }
    : null;
  // An asset with an agent: its data among the custom fields (the real recording's kabuto_* keys).
  const agent: JsonObject =
    id % 4 === 0 ? { kabuto_live_uuid: `uuid-${id}`, kabuto_information: { general: { name: `PC-${id}` }, hdd: [] } } : {};
  return withCustomFields(
    c,
    'customer_assets',
    {
      id,
      name: `${assetType}-${g.digits(4)}${g.chance(0.1) ? ' (Büro)' : ''}`,
      customer_id: customerId,
      contact_id: g.chance(0.7) ? null : g.between(1, 2000),
      created_at: c.created_at,
      updated_at: c.updated_at,
      properties: {},
      asset_type: assetType,
      asset_serial: g.orNull(`SN${g.digits(10)}`, 0.2),
      external_rmm_link: g.chance(0.8) ? null : `https://rmm.example.com/devices/${id}`,
      customer: nestedCustomer(seed, customerId),
      rmm_links: g.chance(0.8) ? [] : [{ id: id * 2, url: `https://rmm.example.com/d/${id}`, kind: 'remote' }],
      rmm_store: store,
      address,
      has_live_chat: id % 3 === 0,
      snmp_enabled: null,
      device_info: id % 5 === 0 ? { snmp_config: { port: 161, enabled: false, version: 2, community: 'public' } } : {},
    },
    agent,
  );
}

export function appointmentType(c: Ctx): JsonObject {
  const { g, id } = c;
  return {
    id,
    account_id: 1,
    name: W.APPOINTMENT_TYPE_NAMES[(id - 1) % W.APPOINTMENT_TYPE_NAMES.length] ?? 'Appointment',
    email_instructions: g.chance(0.5) ? null : 'Please arrive 10 minutes early. Merci !',
    location_type: g.pick(['manual_entry', 'customer', 'shop']),
    location_hard_code: g.chance(0.7) ? null : g.pick(['In Shop', '42 Rue de Rivoli']),
    created_at: c.created_at,
    updated_at: c.updated_at,
    buffer: g.chance(0.6) ? null : String(g.pick([5, 10, 15, 30])),
    appointment_reminders_schedule_id: g.chance(0.7) ? null : g.between(1, 4),
  };
}

const DAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];

function startLabel(ms: number): string {
  const d = new Date(ms);
  const h = d.getUTCHours();
  const two = (n: number): string => String(n).padStart(2, '0');
  return `${DAYS[d.getUTCDay()]} ${two(d.getUTCMonth() + 1)}-${two(d.getUTCDate())}-${two(d.getUTCFullYear() % 100)} ${two(h % 12 || 12)}:${two(d.getUTCMinutes())} ${h < 12 ? 'AM' : 'PM'}`;
}

export function appointment(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const customerId = customerRef(g);
  const startMs = c.createdMs + g.between(1, 60) * 3_600_000;
  const hours = g.pick([0.5, 1, 1.5, 2, 4]);
  const ticket = g.chance(0.5)
    ? null
    : {
        id: g.between(1, 5000),
        number: g.between(1000, 9999),
        subject: g.pick(W.SUBJECTS),
        status: g.pick(W.TICKET_STATUSES),
        customer_id: customerId,
        created_at: c.created_at,
        updated_at: c.updated_at,
      };
  const cust = nestedCustomer(seed, customerId);
  return {
    id,
    summary: g.pick(['Appointment API', 'On-site repair', 'Pick-up', 'Réunion client', '打ち合わせ']),
    description: `Notes:\n ${g.pick(W.NOTES)}\n\n Contact: \n${cust['fullname'] as string} \n`,
    customer_id: customerId,
    created_at: c.created_at,
    updated_at: c.updated_at,
    start_at: c.ts(startMs),
    end_at: c.ts(startMs + hours * 3_600_000),
    duration: hours,
    location: g.pick(W.LOCATIONS),
    ticket_id: ticket ? ticket.id : null,
    appointment_location_type: g.chance(0.6) ? null : g.pick(['manual_entry', 'customer']),
    start_at_label: startLabel(startMs),
    all_day: g.chance(0.9) ? null : 'true',
    ticket,
    do_not_email: g.pick(['1', '0', null]),
    customer: cust,
  };
}

/** The stream builders of this module, by stream name. */
export const PEOPLE_BUILDERS = {
  appointment_types: appointmentType,
  appointments: appointment,
  customer_assets: customerAsset,
  contacts: contact,
  customers: customer,
  leads: lead,
} as const;
