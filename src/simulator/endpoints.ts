/**
 * The simulator's own table of the API's list endpoints, written from docs/api.md#list-endpoints and not
 * from the tap's stream table (src/streams.ts): test/unit/stream-table.test.ts compares the two row by
 * row, so that a wrong path or array key in the tap fails a test instead of being served back to it.
 */

export interface Endpoint {
  /** The stream that reads it. */
  readonly name: string;
  readonly path: string;
  /** Key of the record array in the body. */
  readonly arrayKey: string;
  /** Records per page when no per_page is sent (as seen live); 0: `page` is ignored, the whole list comes back. */
  readonly pageSize: number;
  /** `meta` of a page: full {total_pages, total_entries, per_page, page}, short {total_pages, page}, or none. */
  readonly meta: 'full' | 'short' | 'none';
  /** Whether records carry created_at and updated_at. */
  readonly timestamps: boolean;
  /** Needs Global Admin: the limited key gets a 401. */
  readonly adminOnly?: boolean;
  /** Honours `since_updated_at`. */
  readonly sinceFilter?: boolean;
  /** Lists disabled customers only with `include_disabled=true`. */
  readonly hidesDisabled?: boolean;
  /** Each element wrapped as {"<wrapper>": {...}} (switchable: SimulatorOptions.appointmentsWrapped). */
  readonly wrapper?: string;
}

const TABLE = [
  {
    name: 'appointment_types',
    path: '/appointment_types',
    arrayKey: 'appointment_types',
    pageSize: 0,
    meta: 'none',
    timestamps: true,
    adminOnly: true,
  },
  {
    name: 'appointments',
    path: '/appointments',
    arrayKey: 'appointments',
    pageSize: 25,
    meta: 'none',
    timestamps: true,
    wrapper: 'appointment',
  },
  { name: 'customer_assets', path: '/customer_assets', arrayKey: 'assets', pageSize: 50, meta: 'full', timestamps: true },
  { name: 'contacts', path: '/contacts', arrayKey: 'contacts', pageSize: 50, meta: 'full', timestamps: true },
  { name: 'contracts', path: '/contracts', arrayKey: 'contracts', pageSize: 50, meta: 'full', timestamps: true },
  { name: 'customers', path: '/customers', arrayKey: 'customers', pageSize: 100, meta: 'full', timestamps: true, hidesDisabled: true },
  { name: 'estimates', path: '/estimates', arrayKey: 'estimates', pageSize: 25, meta: 'short', timestamps: true },
  { name: 'invoices', path: '/invoices', arrayKey: 'invoices', pageSize: 25, meta: 'short', timestamps: true, sinceFilter: true },
  { name: 'items', path: '/items', arrayKey: 'items', pageSize: 50, meta: 'short', timestamps: true },
  { name: 'line_items', path: '/line_items', arrayKey: 'line_items', pageSize: 100, meta: 'full', timestamps: true, adminOnly: true },
  { name: 'leads', path: '/leads', arrayKey: 'leads', pageSize: 25, meta: 'full', timestamps: true },
  { name: 'payments', path: '/payments', arrayKey: 'payments', pageSize: 25, meta: 'short', timestamps: true },
  { name: 'products', path: '/products', arrayKey: 'products', pageSize: 20, meta: 'none', timestamps: false },
  { name: 'tickets', path: '/tickets', arrayKey: 'tickets', pageSize: 50, meta: 'short', timestamps: true, sinceFilter: true },
] as const satisfies readonly Endpoint[];

/** The list endpoints by the name of the stream that reads them. */
export type StreamName = (typeof TABLE)[number]['name'];

export const ENDPOINTS: readonly (Endpoint & { readonly name: StreamName })[] = TABLE;

export const STREAM_NAMES: readonly StreamName[] = ENDPOINTS.map((e) => e.name);

const BY_NAME = new Map<string, Endpoint>(ENDPOINTS.map((e) => [e.name, e]));
const BY_PATH = new Map<string, StreamName>(ENDPOINTS.map((e) => [e.path, e.name]));

export function endpoint(name: StreamName): Endpoint {
  return BY_NAME.get(name)!;
}

export function endpointAt(path: string): StreamName | undefined {
  return BY_PATH.get(path);
}

export function isStreamName(name: string): name is StreamName {
  return BY_NAME.has(name);
}
