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
  /** Pages although the API documents no `page` (and no page size). */
  readonly undocumentedPaging?: boolean;
  /** `meta` of a page: full {total_pages, total_entries, per_page, page}, short {total_pages, page}, or none. */
  readonly meta: 'full' | 'short' | 'none';
  /** Whether records carry created_at and updated_at. */
  readonly timestamps: boolean;
  /** The permission the endpoint needs; the limited key lacks Global Admin (a 401 there). */
  readonly permission?: string;
  /** Honours `since_updated_at`. */
  readonly sinceFilter?: boolean;
  /** Lists disabled customers only with `include_disabled=true`. */
  readonly hidesDisabled?: boolean;
  /** Lists active alerts only unless `status=resolved` or `status=all` is sent. */
  readonly statusFilter?: boolean;
  /** Each element wrapped as {"<wrapper>": {...}} (switchable: SimulatorOptions.appointmentsWrapped). */
  readonly wrapper?: string;
  /**
   * The list holds [id, full_name] pairs; each record is at `<path>/{id}` as {"<detailKey>": {...}}. The
   * limited key may list them but gets a 401 on the details (a refused detail, for the tap to survive).
   */
  readonly detailKey?: string;
}

const TABLE = [
  {
    name: 'appointment_types',
    path: '/appointment_types',
    arrayKey: 'appointment_types',
    pageSize: 0,
    meta: 'none',
    timestamps: true,
    permission: 'Global Admin',
  },
  {
    name: 'appointments',
    path: '/appointments',
    arrayKey: 'appointments',
    pageSize: 25,
    meta: 'none',
    timestamps: true,
    wrapper: 'appointment',
    permission: 'Appointments - View All',
  },
  {
    name: 'customer_assets',
    path: '/customer_assets',
    arrayKey: 'assets',
    pageSize: 50,
    meta: 'full',
    timestamps: true,
    permission: 'Assets - List/Search',
  },
  {
    name: 'contacts',
    path: '/contacts',
    arrayKey: 'contacts',
    pageSize: 50,
    meta: 'full',
    timestamps: true,
    permission: 'Customers - View Detail',
  },
  {
    name: 'contracts',
    path: '/contracts',
    arrayKey: 'contracts',
    pageSize: 50,
    meta: 'full',
    timestamps: true,
    permission: 'Contracts - List/Search',
  },
  {
    name: 'customers',
    path: '/customers',
    arrayKey: 'customers',
    pageSize: 100,
    meta: 'full',
    timestamps: true,
    hidesDisabled: true,
    permission: 'Customers - List/Search',
  },
  {
    name: 'estimates',
    path: '/estimates',
    arrayKey: 'estimates',
    pageSize: 25,
    meta: 'short',
    timestamps: true,
    permission: 'Estimates - List/Search',
  },
  {
    name: 'invoices',
    path: '/invoices',
    arrayKey: 'invoices',
    pageSize: 25,
    meta: 'short',
    timestamps: true,
    sinceFilter: true,
    permission: 'Invoices - List/Search',
  },
  {
    name: 'items',
    path: '/items',
    arrayKey: 'items',
    pageSize: 50,
    meta: 'short',
    timestamps: true,
    permission: 'Parts Orders - List/Search',
  },
  {
    name: 'line_items',
    path: '/line_items',
    arrayKey: 'line_items',
    pageSize: 100,
    meta: 'full',
    timestamps: true,
    permission: 'Global Admin',
  },
  { name: 'leads', path: '/leads', arrayKey: 'leads', pageSize: 25, meta: 'full', timestamps: true, permission: 'Leads - List/Search' },
  {
    name: 'payments',
    path: '/payments',
    arrayKey: 'payments',
    pageSize: 25,
    meta: 'short',
    timestamps: true,
    permission: 'Payments - View List',
  },
  {
    name: 'products',
    path: '/products',
    arrayKey: 'products',
    pageSize: 20,
    meta: 'none',
    timestamps: false,
    permission: 'Products - List/Search',
  },
  {
    name: 'tickets',
    path: '/tickets',
    arrayKey: 'tickets',
    pageSize: 50,
    meta: 'short',
    timestamps: true,
    sinceFilter: true,
    permission: 'Tickets - List/Search',
  },
  // No `page` documented: the whole list of pairs, whatever page is asked.
  { name: 'users', path: '/users', arrayKey: 'users', pageSize: 0, meta: 'none', timestamps: true, detailKey: 'user' },
  {
    name: 'ticket_timers',
    path: '/ticket_timers',
    arrayKey: 'ticket_timers',
    pageSize: 100,
    meta: 'short',
    timestamps: true,
    permission: 'Ticket Timers - Overview',
  },
  // No `page` documented, but it pages (100, without meta): a long list that does page must be read whole.
  { name: 'timelogs', path: '/timelogs', arrayKey: 'timelogs', pageSize: 100, undocumentedPaging: true, meta: 'none', timestamps: true },
  {
    name: 'rmm_alerts',
    path: '/rmm_alerts',
    arrayKey: 'rmm_alerts',
    pageSize: 25,
    meta: 'short',
    timestamps: true,
    statusFilter: true,
    permission: 'RMM Alerts - List',
  },
  {
    name: 'purchase_orders',
    path: '/purchase_orders',
    arrayKey: 'purchase_orders',
    pageSize: 20,
    meta: 'none',
    timestamps: true,
    permission: 'Purchase Orders - List/Search',
  },
  { name: 'vendors', path: '/vendors', arrayKey: 'vendors', pageSize: 100, meta: 'none', timestamps: true, permission: 'Vendors - List' },
  {
    name: 'portal_users',
    path: '/portal_users',
    arrayKey: 'portal_users',
    pageSize: 100,
    meta: 'full',
    timestamps: true,
    permission: 'Global Admin',
  },
  {
    name: 'wiki_pages',
    path: '/wiki_pages',
    arrayKey: 'wiki_pages',
    pageSize: 100,
    meta: 'none',
    timestamps: false,
    permission: 'Documentation - Allow Usage',
  },
  {
    name: 'schedules',
    path: '/schedules',
    arrayKey: 'schedules',
    pageSize: 25,
    meta: 'none',
    timestamps: false,
    permission: 'Recurring Invoices - List',
  },
  { name: 'payment_methods', path: '/payment_methods', arrayKey: 'payment_methods', pageSize: 0, meta: 'none', timestamps: true },
  {
    name: 'product_categories',
    path: '/products/categories',
    arrayKey: 'categories',
    pageSize: 0,
    meta: 'none',
    timestamps: false,
    permission: 'Products - List/Search',
  },
  {
    name: 'canned_responses',
    path: '/canned_responses',
    arrayKey: 'canned_responses',
    pageSize: 0,
    meta: 'none',
    timestamps: false,
    permission: 'Ticket Canned Responses - Manage',
  },
  {
    name: 'new_ticket_forms',
    path: '/new_ticket_forms',
    arrayKey: 'new_ticket_forms',
    pageSize: 0,
    meta: 'none',
    timestamps: false,
    permission: 'Ticket Workflows - Manage',
  },
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
