/**
 * The streams of tap-crm, as data: one row per API list endpoint. Adding a stream of the same API is
 * adding a row here and a schema file in schemas/. The facts behind each row are in docs/api.md.
 */

/** A stream's primary key where its row names none: every record of the API's lists has an integer `id` (docs/api.md). */
export const KEY_PROPERTIES: readonly string[] = ['id'];

/** The primary key of a stream's records: `id`, or the row's own (asset_patches, whose members have no id). */
export function keyPropertiesOf(def: StreamDef): readonly string[] {
  return def.keyProperties ?? KEY_PROPERTIES;
}

export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL';

/**
 * What a stream's endpoint gives, which decides how the stream is read (src/sync/kinds/, one module each):
 * - `list`: pages of records (most streams);
 * - `named-list`: pages that only name the records (`body` of type `pairs`), each record read from its own
 *   endpoint (`detail.path`, `{id}` in it) under `detail.key`; a record whose detail is refused is emitted
 *   as the list gave it (users);
 * - `child`: a list under each record of the `parent` stream, `{id}` in its path being the parent's id.
 */
export type StreamKind = ListKind | NamedListKind | ChildKind;

export interface ListKind {
  readonly type: 'list';
}

export interface NamedListKind {
  readonly type: 'named-list';
  readonly detail: { readonly path: string; readonly key: string };
}

export interface ChildKind {
  readonly type: 'child';
  readonly parent: string;
  /**
   * A change to one of its records moves its parent's updated_at (a comment moves its ticket's): read under
   * the parents that changed, nothing is missed. Without it (nothing says a worksheet result, a patch, a phone
   * or a serial moves its parent), the child is read under the parents that changed and, on a schedule
   * (setting sweep_interval_days), under every parent: a sweep (docs/api.md#child-resources).
   */
  readonly movesParent?: true;
  /** The field that holds the parent's id, set on each record where the API leaves it out. */
  readonly parentField?: string;
}

/** A key field made from others, for records without an id: their values joined by `|`, a null as ''. */
export interface MadeKey {
  readonly field: string;
  readonly from: readonly string[];
}

/**
 * What holds a stream's records in an answer's body:
 * - `array`: `{"<key>": [record, ...], "meta": {...}}`; with `wrapper`, an element may also come wrapped as
 *   `{"<wrapper>": record}` (appointments: the vendor's example wraps them, live clients read them flat);
 * - `pairs`: `{"<key>": [[id, name], ...]}`, elements that only name their records (a named list);
 * - `lists`: several arrays of records without an id (asset patches: `installed_patches`,
 *   `available_patches`), read in this order; each record says which in `listField` (the value given
 *   here), and gets its key field made from others (`madeKey`).
 */
export type Body =
  | { readonly type: 'array'; readonly key: string; readonly wrapper?: string }
  | { readonly type: 'pairs'; readonly key: string; readonly fields: readonly [string, string] }
  | {
      readonly type: 'lists';
      readonly lists: Readonly<Record<string, string>>;
      readonly listField: string;
      readonly madeKey: MadeKey;
    };

/**
 * How an endpoint pages (docs/api.md#pagination); `size` is the page size seen live (else documented),
 * for the docs and as the first page's size when that page is too heavy to learn it:
 * - `counted`: pages carry `meta.total_pages`: pages are fetched ahead;
 * - `chained`: pages carry no total_pages: read one after another until an empty page, a chain as long as
 *   the stream, which the sync starts first so that the longest does not end the sync alone (`size`
 *   undefined: no `page` documented);
 * - `undocumented`: no `page` documented, a short list that may be answered whole to every page (the walk
 *   stops at a page that repeats);
 * - `single`: the endpoint documents no paging: its one answer is the whole list (one request, no page 2).
 */
export type Paging =
  | { readonly type: 'counted'; readonly size: number }
  | { readonly type: 'chained'; readonly size?: number }
  | { readonly type: 'undocumented' }
  | { readonly type: 'single' };

/** The body key that names a stream's records (docs, messages): the array's, or the first list's. */
export function arrayKeyOf(def: StreamDef): string {
  return def.body.type === 'lists' ? Object.keys(def.body.lists)[0]! : def.body.key;
}

/** The page size seen live or documented, if any. */
export function pageSizeOf(def: StreamDef): number | undefined {
  return def.paging.type === 'counted' || def.paging.type === 'chained' ? def.paging.size : undefined;
}

export interface StreamDef {
  /** Singer stream name and tap_stream_id; also the schema file name (schemas/<name>.json). */
  readonly name: string;
  /** Path under base_url. */
  readonly path: string;
  /** What holds the records in the answer's body. */
  readonly body: Body;
  /** How the endpoint pages. */
  readonly paging: Paging;
  /** The field of the records that says when each last changed, where they carry one. */
  readonly replicationKey?: 'updated_at';
  /** Query parameter that makes the server filter on the replication key, where the API honours one. */
  readonly serverFilter?: 'since_updated_at';
  /** Query parameters sent on every request of the stream. */
  readonly params?: Readonly<Record<string, string>>;
  /** The permission of the token's user that the endpoint needs: a 401 on it means this one is missing. */
  readonly permission?: string;
  /** What its endpoint gives, which decides how the stream is read. */
  readonly kind: StreamKind;
  /** Whether a catalog selects the stream when it says nothing about it. */
  readonly selectedByDefault: boolean;
  /** The primary key, where it is not `id` (keyPropertiesOf). */
  readonly keyProperties?: readonly string[];
}

/** Shared defaults, as in the seed's resource_defaults: every row starts from these. */
const defaults = { kind: { type: 'list' }, replicationKey: 'updated_at', selectedByDefault: true } as const satisfies Partial<StreamDef>;

const array = (key: string, wrapper?: string): Body => (wrapper ? { type: 'array', key, wrapper } : { type: 'array', key });
const counted = (size: number): Paging => ({ type: 'counted', size });
const chained = (size?: number): Paging => (size === undefined ? { type: 'chained' } : { type: 'chained', size });
const UNDOCUMENTED: Paging = { type: 'undocumented' };
const SINGLE: Paging = { type: 'single' };

// Paths, array keys, paging, filters and permissions: docs/api.md#list-endpoints.
const rows: readonly (Partial<StreamDef> & Pick<StreamDef, 'name' | 'path' | 'body' | 'paging'>)[] = [
  {
    name: 'appointment_types',
    path: '/appointment_types',
    body: array('appointment_types'),
    paging: UNDOCUMENTED,
    permission: 'Global Admin',
  },
  {
    name: 'appointments',
    path: '/appointments',
    body: array('appointments', 'appointment'),
    paging: chained(25),
    permission: 'Appointments - View All',
  },
  { name: 'customer_assets', path: '/customer_assets', body: array('assets'), paging: counted(50), permission: 'Assets - List/Search' },
  { name: 'contacts', path: '/contacts', body: array('contacts'), paging: counted(50), permission: 'Customers - View Detail' },
  { name: 'contracts', path: '/contracts', body: array('contracts'), paging: counted(50), permission: 'Contracts - List/Search' },
  {
    name: 'customers',
    path: '/customers',
    body: array('customers'),
    paging: counted(100),
    params: { include_disabled: 'true' },
    permission: 'Customers - List/Search',
  },
  { name: 'estimates', path: '/estimates', body: array('estimates'), paging: counted(25), permission: 'Estimates - List/Search' },
  {
    name: 'invoices',
    path: '/invoices',
    body: array('invoices'),
    paging: counted(25),
    serverFilter: 'since_updated_at',
    permission: 'Invoices - List/Search',
  },
  { name: 'items', path: '/items', body: array('items'), paging: counted(50), permission: 'Parts Orders - List/Search' },
  { name: 'line_items', path: '/line_items', body: array('line_items'), paging: counted(100), permission: 'Global Admin' },
  { name: 'leads', path: '/leads', body: array('leads'), paging: counted(25), permission: 'Leads - List/Search' },
  { name: 'payments', path: '/payments', body: array('payments'), paging: counted(25), permission: 'Payments - View List' },
  {
    name: 'products',
    path: '/products',
    body: array('products'),
    paging: chained(20),
    replicationKey: undefined,
    permission: 'Products - List/Search',
  },
  {
    name: 'tickets',
    path: '/tickets',
    body: array('tickets'),
    paging: counted(50),
    serverFilter: 'since_updated_at',
    permission: 'Tickets - List/Search',
  },
  // Under a record (docs/api.md#child-resources). A comment moves its ticket's updated_at; nothing says that
  // of the other four, which are also read whole on a schedule (sweeps).
  {
    name: 'ticket_comments',
    path: '/tickets/{id}/comments',
    body: array('comments'),
    paging: counted(10),
    kind: { type: 'child', parent: 'tickets', movesParent: true },
    params: { per_page: '100' }, // documented here (default 10): fewer requests per ticket
    selectedByDefault: false,
  },
  {
    name: 'ticket_worksheet_results',
    path: '/tickets/{id}/worksheet_results',
    body: array('worksheet_results'),
    paging: chained(25),
    kind: { type: 'child', parent: 'tickets', parentField: 'ticket_id' },
    keyProperties: ['ticket_id', 'id'],
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Tickets - View Details',
  },
  {
    name: 'asset_patches',
    path: '/customer_assets/{id}/patches',
    body: {
      type: 'lists',
      lists: { installed_patches: 'installed', available_patches: 'available' },
      listField: 'patch_list',
      madeKey: { field: 'patch_key', from: ['kb', 'title'] },
    },
    paging: SINGLE,
    kind: { type: 'child', parent: 'customer_assets', parentField: 'asset_id' },
    keyProperties: ['asset_id', 'patch_list', 'patch_key'],
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Assets - List/Search',
  },
  {
    name: 'customer_phones',
    path: '/customers/{id}/phones',
    body: array('phones'),
    paging: SINGLE,
    kind: { type: 'child', parent: 'customers', parentField: 'customer_id' },
    selectedByDefault: false,
    permission: 'Customers - View Detail',
  },
  {
    name: 'product_serials',
    path: '/products/{id}/product_serials',
    body: array('product_serials'),
    paging: chained(100),
    kind: { type: 'child', parent: 'products', parentField: 'product_id' },
    selectedByDefault: false,
    permission: 'Products - List/Search',
  },
  {
    name: 'users',
    path: '/users',
    body: { type: 'pairs', key: 'users', fields: ['id', 'full_name'] },
    paging: UNDOCUMENTED,
    kind: { type: 'named-list', detail: { path: '/users/{id}', key: 'user' } },
  },
  {
    name: 'ticket_timers',
    path: '/ticket_timers',
    body: array('ticket_timers'),
    paging: counted(100),
    permission: 'Ticket Timers - Overview',
  },
  { name: 'timelogs', path: '/timelogs', body: array('timelogs'), paging: chained() },
  // Without status=all the endpoint lists active alerts only.
  {
    name: 'rmm_alerts',
    path: '/rmm_alerts',
    body: array('rmm_alerts'),
    paging: counted(25),
    params: { status: 'all' },
    permission: 'RMM Alerts - List',
  },
  {
    name: 'purchase_orders',
    path: '/purchase_orders',
    body: array('purchase_orders'),
    paging: chained(20),
    permission: 'Purchase Orders - List/Search',
  },
  { name: 'vendors', path: '/vendors', body: array('vendors'), paging: chained(100), permission: 'Vendors - List' },
  { name: 'portal_users', path: '/portal_users', body: array('portal_users'), paging: counted(100), permission: 'Global Admin' },
  {
    name: 'wiki_pages',
    path: '/wiki_pages',
    body: array('wiki_pages'),
    paging: chained(100),
    replicationKey: undefined,
    permission: 'Documentation - Allow Usage',
  },
  {
    name: 'schedules',
    path: '/schedules',
    body: array('schedules'),
    paging: chained(25),
    replicationKey: undefined,
    permission: 'Recurring Invoices - List',
  },
  { name: 'payment_methods', path: '/payment_methods', body: array('payment_methods'), paging: UNDOCUMENTED },
  {
    name: 'product_categories',
    path: '/products/categories',
    body: array('categories'),
    paging: UNDOCUMENTED,
    replicationKey: undefined,
    permission: 'Products - List/Search',
  },
  {
    name: 'canned_responses',
    path: '/canned_responses',
    body: array('canned_responses'),
    paging: UNDOCUMENTED,
    replicationKey: undefined,
    permission: 'Ticket Canned Responses - Manage',
  },
  {
    name: 'new_ticket_forms',
    path: '/new_ticket_forms',
    body: array('new_ticket_forms'),
    paging: UNDOCUMENTED,
    replicationKey: undefined,
    permission: 'Ticket Workflows - Manage',
  },
];

export const STREAMS: readonly StreamDef[] = rows.map((row) => {
  const def: StreamDef = { ...defaults, ...row };
  // An explicit `undefined` in a row (products) removes the default.
  return Object.fromEntries(Object.entries(def).filter(([, v]) => v !== undefined)) as unknown as StreamDef;
});

export function streamByName(name: string): StreamDef | undefined {
  return STREAMS.find((s) => s.name === name);
}
