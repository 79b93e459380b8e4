/**
 * The lists under a record (docs/api.md#child-resources): a ticket's worksheet results, an asset's patches,
 * a customer's phones, a product's serials. Each is a function of the seed and the parent's id alone, so a
 * test computes the truth the same way. Their quirks: many parents have none; some have many (serials over
 * two pages); an asset may have no patch data at all (arrays missing, null or empty).
 */
import { Gen, formatTime } from './gen.js';
import { mix } from './prng.js';
import { streamHash, type JsonObject } from './record-context.js';

const DAY = 86_400_000;
/** Child records are dated in the two years before this (fixed: the truth must not depend on the clock). */
const EPOCH_MS = Date.UTC(2026, 0, 1);

export type ChildStream = 'ticket_worksheet_results' | 'asset_patches' | 'customer_phones' | 'product_serials';

/** The simulator's table of the child endpoints: what the tap's stream table must agree with (stream-table.test.ts). */
export const CHILD_ENDPOINTS: Readonly<
  Record<ChildStream, { parent: string; path: string; arrayKeys: readonly string[]; pageSize?: number; unpaged?: true }>
> = {
  ticket_worksheet_results: { parent: 'tickets', path: '/tickets/{id}/worksheet_results', arrayKeys: ['worksheet_results'], pageSize: 25 },
  asset_patches: {
    parent: 'customer_assets',
    path: '/customer_assets/{id}/patches',
    arrayKeys: ['installed_patches', 'available_patches'],
    unpaged: true,
  },
  customer_phones: { parent: 'customers', path: '/customers/{id}/phones', arrayKeys: ['phones'], unpaged: true },
  product_serials: { parent: 'products', path: '/products/{id}/product_serials', arrayKeys: ['product_serials'], pageSize: 100 },
};

function gen(stream: ChildStream, seed: number, parentId: number, index = 0): Gen {
  return new Gen(mix(seed, streamHash(stream), parentId, index));
}

function stamp(g: Gen): string {
  return formatTime(EPOCH_MS - g.between(1, 700) * DAY + g.int(DAY));
}

/**
 * Id of a record added under a parent after the start (Simulator.addChildren), the `added`-th: apart from
 * the generated ones, which stay below it.
 */
function addedId(parentId: number, added: number): number {
  return 1_000_000_000 + parentId * 64 + added;
}

/**
 * 0 to 3 worksheet results a ticket (none on half of them); ids are global (ticketId * 4 + index); `added`
 * more where records were added under the ticket since (Simulator.addChildren).
 */
export function worksheetResults(seed: number, ticketId: number, added = 0): JsonObject[] {
  const base = Math.max(0, (mix(seed, streamHash('ticket_worksheet_results'), ticketId) % 7) - 3);
  return Array.from({ length: base + added }, (_, i) => {
    const g = gen('ticket_worksheet_results', seed, ticketId, i + 1);
    const fields = g.between(1, 4);
    return {
      id: i < base ? ticketId * 4 + i : addedId(ticketId, i - base),
      worksheet_template_id: g.between(1, 9),
      name: g.pick(['New PC Setup', 'Server Check', 'Onboarding', 'Vérification réseau']),
      public: g.chance(0.5),
      complete: g.chance(0.3) ? null : g.chance(0.5),
      required: g.chance(0.2),
      field_list: Array.from({ length: fields }, (_, f) => ({
        name: g.pick(['section', 'Backup tested', 'Serial', 'Notes']),
        slug: `field-${f}`,
        id: f + 1,
        position: f,
        history: [],
      })),
    };
  });
}

/**
 * An asset's patch answer: `{installed_patches, available_patches, available_patches_meta}`. One asset in
 * ten has no patch data (the keys missing, null, or empty lists, in turn). A driver update has no kb.
 */
export function assetPatches(seed: number, assetId: number, added = 0): JsonObject {
  const variant = mix(seed, streamHash('asset_patches'), assetId) % 30;
  if (added === 0 && variant === 0) return {};
  if (added === 0 && variant === 1) return { installed_patches: null, available_patches: null, available_patches_meta: null };
  const g = gen('asset_patches', seed, assetId);
  // Variants 0 to 2 have no patch data of their own (only what was added since).
  const installed = variant <= 2 ? 0 : g.between(0, 5);
  const available = variant <= 2 ? 0 : g.between(0, 4);
  const member = (list: 'installed' | 'available', i: number): JsonObject => {
    const driver = g.chance(0.2);
    const base = {
      kb: driver ? null : `KB50${g.digits(5)}${i}`,
      title: driver
        ? `Intel - Display - 31.0.101.${4000 + i}`
        : g.pick(['Cumulative Update', 'Security Update', 'Servicing Stack']) + ` ${i}`,
      category: g.chance(0.2) ? null : g.pick(['Security Updates', 'Critical Updates', 'Updates', 'Drivers']),
    };
    if (list === 'installed') return { ...base, status: 'Recently Installed', installed_at: stamp(g) };
    const status = g.pick(['Missing Patches', 'Failed Patches', 'Rejected Patches']);
    if (status === 'Failed Patches')
      return { ...base, status, attempted_installation: stamp(g), failure_reason: g.chance(0.5) ? 'Error 0x80070005' : null };
    if (status === 'Rejected Patches') return { ...base, status, rejected_at: stamp(g) };
    return { ...base, status, evaluated_at: stamp(g) };
  };
  const installedPatches = Array.from({ length: installed }, (_, i) => member('installed', i));
  const availablePatches = Array.from({ length: available }, (_, i) => member('available', i));
  // Added later: made after the others, so that those stay as they were.
  for (let i = 0; i < added; i++) installedPatches.push({ ...member('installed', installed + i), kb: `KB9${assetId}${i}` });
  return {
    installed_patches: installedPatches,
    available_patches: availablePatches,
    available_patches_meta: { page: 1, per_page: 50, total_pages: 1, total_entries: available },
  };
}

/** 0 to 3 phones a customer; ids are global (customerId * 4 + index); the record names its customer; `added` more. */
export function customerPhones(seed: number, customerId: number, added = 0): JsonObject[] {
  const base = mix(seed, streamHash('customer_phones'), customerId) % 4;
  return Array.from({ length: base + added }, (_, i) => {
    const g = gen('customer_phones', seed, customerId, i + 1);
    const at = stamp(g);
    return {
      id: i < base ? customerId * 4 + i : addedId(customerId, i - base),
      label: g.chance(0.2) ? null : g.pick(['Mobile', 'Office', 'Home', 'Fax']),
      number: g.phone().replace(/\D/g, ''),
      extension: g.chance(0.8) ? null : g.digits(3),
      customer_id: customerId,
      created_at: at,
      updated_at: at,
    };
  });
}

/** Serials of a product: none for most, a few for some, 150 (two pages of 100) for one product in twenty; `added` more. */
export function productSerials(seed: number, productId: number, added = 0): JsonObject[] {
  const roll = mix(seed, streamHash('product_serials'), productId) % 20;
  const base = roll === 0 ? 150 : roll < 8 ? roll : 0;
  return Array.from({ length: base + added }, (_, i) => {
    const g = gen('product_serials', seed, productId, i + 1);
    const at = stamp(g);
    const sold = g.chance(0.4);
    return {
      id: i < base ? productId * 256 + i : addedId(productId, i - base),
      serial_number: `SN-${productId}-${g.digits(6)}`,
      status: sold ? 'Sold' : 'In Stock',
      product_location_quantity_id: g.between(1, 40),
      line_item_id: sold ? g.between(1, 5000) : null,
      location_id: g.chance(0.5) ? null : g.between(1, 5),
      instance_price_cost: g.between(100, 90_000) / 100,
      instance_price_retail: g.chance(0.1) ? null : g.between(200, 150_000) / 100,
      created_at: at,
      updated_at: at,
    };
  });
}

/** How many records a child stream holds under one parent (as the tap writes them: one per list member). */
export function childCount(stream: ChildStream, seed: number, parentId: number, added = 0): number {
  if (stream === 'asset_patches') {
    const answer = assetPatches(seed, parentId, added);
    const length = (value: unknown) => (Array.isArray(value) ? value.length : 0);
    return length(answer.installed_patches) + length(answer.available_patches);
  }
  return childRecords(stream, seed, parentId, added).length;
}

/** The records of a paged or plain child list under one parent, as the API lists them (asset_patches: its answer's lists). */
export function childRecords(stream: ChildStream, seed: number, parentId: number, added = 0): JsonObject[] {
  if (stream === 'customer_phones') return customerPhones(seed, parentId, added);
  if (stream === 'product_serials') return productSerials(seed, parentId, added);
  if (stream === 'ticket_worksheet_results') return worksheetResults(seed, parentId, added);
  const answer = assetPatches(seed, parentId, added);
  const list = (value: unknown) => (Array.isArray(value) ? (value as JsonObject[]) : []);
  return [...list(answer.installed_patches), ...list(answer.available_patches)];
}
