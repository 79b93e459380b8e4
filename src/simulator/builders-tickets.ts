/** Builders of tickets and of their comments (GET /tickets/{id}/comments; the list carries the first one). */
import { withCustomFields } from './custom-fields.js';
import { Gen, formatTime } from './gen.js';
import { mix } from './prng.js';
import { customerRef } from './builders-people.js';
import { streamHash, type Ctx, type JsonObject } from './record-context.js';
import * as W from './words.js';

const HOUR = 3_600_000;

/** 0..15 comments per ticket, a function of the ticket id alone. */
export function commentCount(seed: number, ticketId: number): number {
  return mix(seed, streamHash('ticket_comments'), ticketId) % 16;
}

function techUser(g: Gen): JsonObject {
  const n = g.between(1, 12);
  return { id: n, email: `tech${n}@example.com`, full_name: g.pick(W.TECHS) };
}

/**
 * The comments of a ticket (the first `limit` of them), oldest first; ids are ticketId * 16 + index. A ticket
 * updated since the start has a comment more for each update (`added`: when each was made, which is the
 * ticket's updated_at then: a comment moves its ticket's updated_at), ids 1,000,000,000 + ticketId * 64 + k.
 */
export function ticketComments(
  seed: number,
  ticketId: number,
  ticketCreatedMs: number,
  offsetMinutes: number,
  limit = 16,
  added: readonly number[] = [],
): JsonObject[] {
  const count = Math.min(limit, commentCount(seed, ticketId));
  const out: JsonObject[] = [];
  let at = ticketCreatedMs;
  for (let i = 0; i < count; i++) {
    const g = new Gen(mix(seed, streamHash('ticket_comments'), ticketId, i + 1));
    at += g.between(1, 48) * HOUR + g.int(HOUR);
    const stamp = formatTime(at, offsetMinutes);
    const byTech = g.chance(0.7);
    out.push({
      id: ticketId * 16 + i,
      created_at: stamp,
      updated_at: stamp,
      ticket_id: ticketId,
      subject: i === 0 ? 'Initial Issue' : g.pick(['Update', 'Customer reply', 'Parts ordered', 'Résolu']),
      body: g.pick(W.NOTES),
      tech: byTech ? g.pick(W.TECHS) : 'Customer-Reply',
      hidden: g.chance(0.2),
      user_id: byTech ? g.between(1, 12) : null,
      is_rich_text: g.chance(0.3),
      user: byTech ? techUser(g) : {},
    });
  }
  added.forEach((atMs, k) => {
    const stamp = formatTime(atMs);
    out.push({
      id: 1_000_000_000 + ticketId * 64 + k,
      created_at: stamp,
      updated_at: stamp,
      ticket_id: ticketId,
      subject: 'Update',
      body: `Update ${k + 1}`,
      tech: 'Customer-Reply',
      hidden: false,
      user_id: null,
      is_rich_text: false,
      user: {},
    });
  });
  return out;
}

export function ticket(c: Ctx): JsonObject {
  const { g, id, seed } = c;
  const status = g.pick(W.TICKET_STATUSES);
  const resolved = status === 'Resolved';
  const user = g.chance(0.3) ? null : techUser(g);
  const first = ticketComments(seed, id, c.createdMs, c.offsetMinutes, 1)[0];
  return withCustomFields(c, 'tickets', {
    id,
    number: 1000 + id,
    subject: g.pick(W.SUBJECTS),
    created_at: c.created_at,
    customer_id: customerRef(g),
    customer_business_then_name: g.chance(0.5) ? g.pick(W.BUSINESSES) : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`,
    due_date: c.ts(c.createdMs + g.between(1, 14) * 24 * HOUR),
    resolved_at: resolved ? c.ts(c.createdMs + g.between(1, 200) * HOUR) : null,
    start_at: g.chance(0.8) ? null : c.ts(c.createdMs + 2 * HOUR),
    end_at: g.chance(0.8) ? null : c.ts(c.createdMs + 4 * HOUR),
    location_id: g.chance(0.7) ? null : g.between(1, 5),
    location_name: g.chance(0.7) ? null : g.pick(['Main Shop', 'Downtown']),
    problem_type: g.pick(W.PROBLEM_TYPES),
    status,
    ticket_type_id: g.chance(0.3) ? null : g.between(1, 6),
    ticket_type_name: g.chance(0.3) ? null : g.pick(['Hardware', 'Software', 'Réseau']),
    properties: {},
    asset_ids: g.chance(0.7) ? [] : [g.between(1, 1000)],
    // Members of the real recorded ticket that the vendor's list example lacks: mostly empty, as recorded.
    address: null,
    public_mentionables: [],
    private_mentionables: [],
    intake_form_html: id % 7 === 0 ? '<p><strong><u>Terms and Conditions</u></strong></p>\r\n' : null,
    outtake_form_html: null,
    outtake_form_name: null,
    outtake_form_date: null,
    signature_name: id % 11 === 0 ? 'Joe' : null,
    signature_date: null,
    user_id: user ? (user['id'] as number) : null,
    updated_at: c.updated_at,
    pdf_url: g.chance(0.5) ? null : `https://sim.example.com/tickets/${id}.pdf`,
    priority: g.pick(W.PRIORITIES),
    billing_status: g.chance(0.5) ? null : g.pick(['Billed', 'Not Billed', 'Non-Billable']),
    tag_list: g.chance(0.6) ? [] : [g.pick(W.TAGS), g.pick(W.TAGS)],
    sla_name: g.chance(0.7) ? null : g.pick(['Standard', 'Premium']),
    creator_name_or_email: g.chance(0.3) ? null : g.pick(W.TECHS),
    contact_fullname: g.chance(0.6) ? null : `${g.pick(W.FIRST_NAMES)} ${g.pick(W.LAST_NAMES)}`,
    contract_name: g.chance(0.8) ? null : 'Support Tier 1',
    address_id: g.chance(0.8) ? null : g.between(1, 1000),
    parent: g.chance(0.05),
    parent_id: g.chance(0.95) ? null : g.between(1, id),
    child: g.chance(0.05),
    recurring: g.chance(0.05),
    customer_reply: g.chance(0.2),
    total_formatted_billable_time: g.chance(0.5) ? null : `${g.between(0, 9)}h ${g.between(0, 59)}m`,
    contact_id: g.chance(0.6) ? null : g.between(1, 2000),
    sla_breached: g.chance(0.05),
    sla_breaching_soon: g.chance(0.05),
    contract_id: g.chance(0.8) ? null : g.between(1, 200),
    sla_id: g.chance(0.7) ? null : g.between(1, 4),
    customer_tag_list: g.chance(0.7) ? [] : [g.pick(W.TAGS)],
    resolution_time: resolved ? `${g.between(1, 72)} hours` : null,
    response_time: g.chance(0.5) ? null : `${g.between(1, 120)} minutes`,
    customer_icons: g.chance(0.8) ? [] : [g.pick(['vip', 'warning', 'star'])],
    comments: first ? [first] : [],
    user,
  });
}
