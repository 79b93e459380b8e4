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
 * How a stream is replicated, the one place it is decided: a child follows its parent (INCREMENTAL), or is
 * read whole under every parent (FULL_TABLE, `everyParent`); else
 * the method asked, where the stream can do it; else INCREMENTAL where its records carry a replication key,
 * FULL_TABLE where they carry none. Undefined: INCREMENTAL was asked of a stream without a replication key
 * (the caller decides: the Singer catalog refuses it, an Airbyte read falls back to a full refresh).
 */
export function replicationOf(def: StreamDef, asked?: ReplicationMethod): ReplicationMethod | undefined {
  if (def.kind.type === 'child') return def.kind.everyParent ? 'FULL_TABLE' : 'INCREMENTAL';
  const method = asked ?? (def.replicationKey ? 'INCREMENTAL' : 'FULL_TABLE');
  return method === 'INCREMENTAL' && !def.replicationKey ? undefined : method;
}

/**
 * What a stream's endpoint gives:
 * - `list`: pages of records (most streams);
 * - `named-list`: pages of [id, name] pairs (`pairs`) that only name the records, each read from its own
 *   endpoint (`detail.path`, `{id}` in it) under `detail.recordKey`; a record whose detail is refused is
 *   emitted as the list gave it (users);
 * - `child`: a list under each record of the `parent` stream, `{id}` in its path being the parent's id: under
 *   each parent record the run emits (ticket_comments, whose parent's updated_at moves with its comments),
 *   or under every parent record, each sync (`everyParent`: nothing says the parent changes with the child).
 */
export type StreamKind = { readonly type: 'list' } | NamedList | ChildList;

export interface ChildList {
  readonly type: 'child';
  readonly parent: string;
  /** Read under every parent record, each sync, whole (FULL_TABLE): the parent is walked without a bookmark for it. */
  readonly everyParent?: true;
  /** The field that holds the parent's id, set on each record where the API leaves it out. */
  readonly parentField?: string;
}

/**
 * A body that holds several record arrays (asset_patches: installed_patches and available_patches): each
 * array's records, in this order, with `field` set to the array's value here.
 */
export interface RecordArrays {
  readonly field: string;
  readonly arrays: Readonly<Record<string, string>>;
}

/** A key field made from others, for records without an id: their values joined by `|`, a null as ''. */
export interface MadeKey {
  readonly field: string;
  readonly from: readonly string[];
}

export interface NamedList {
  readonly type: 'named-list';
  readonly pairs: readonly [string, string];
  readonly detail: { readonly path: string; readonly recordKey: string };
}

/** The stream a child stream is read under; undefined for the others. */
export function parentOf(def: StreamDef): string | undefined {
  return def.kind.type === 'child' ? def.kind.parent : undefined;
}

export interface StreamDef {
  /** Singer stream name and tap_stream_id; also the schema file name (schemas/<name>.json). */
  readonly name: string;
  /** Path under base_url. */
  readonly path: string;
  /** Key of the record array in the response body. */
  readonly arrayKey: string;
  /**
   * Records a page holds when no per_page is sent, as seen live (else as documented); absent where the API
   * documents no `page` (the endpoint may answer its whole list to every page). For the docs only: the
   * walk reads the size from what comes back.
   */
  readonly pageSize?: number;
  /**
   * The API's pages carry no total_pages: they can only be read one after another, a chain as long as the
   * stream. The sync starts chains first, so that the longest does not end the sync alone.
   */
  readonly chain?: true;
  /** Replication key carried by the records, if they have one. */
  readonly replicationKey?: 'updated_at';
  /** Query parameter that makes the server filter on the replication key, where the API honours one. */
  readonly serverFilter?: 'since_updated_at';
  /** Query parameters sent on every request of the stream. */
  readonly params?: Readonly<Record<string, string>>;
  /** Key of the wrapper object around each element, where the API may wrap records ({"appointment": {...}}). */
  readonly wrapperKey?: string;
  /** The permission of the token's user that the endpoint needs: a 401 on it means this one is missing. */
  readonly permission?: string;
  /** What its endpoint gives, which decides how the stream is read. */
  readonly kind: StreamKind;
  /** Whether a catalog selects the stream when it says nothing about it. */
  readonly selectedByDefault: boolean;
  /** The primary key, where it is not `id` (keyPropertiesOf). */
  readonly keyProperties?: readonly string[];
  /** Several record arrays in one body, instead of `arrayKey`'s one. */
  readonly recordArrays?: RecordArrays;
  /** A key field made from others (in keyProperties). */
  readonly madeKey?: MadeKey;
  /** The endpoint documents no paging: its one answer is the whole list (one request, no page 2). */
  readonly unpaged?: true;
}

/** Shared defaults, as in the seed's resource_defaults: every row starts from these. */
const defaults = { kind: { type: 'list' }, replicationKey: 'updated_at', selectedByDefault: true } as const satisfies Partial<StreamDef>;

// Paths, array keys, filters and permissions: docs/api.md#list-endpoints. Endpoints without a documented
// `page` (appointment_types, users, timelogs...) need nothing here: the walker stops at a page that repeats.
const rows: readonly (Partial<StreamDef> & Pick<StreamDef, 'name' | 'path' | 'arrayKey'>)[] = [
  { name: 'appointment_types', path: '/appointment_types', arrayKey: 'appointment_types', permission: 'Global Admin' },
  {
    name: 'appointments',
    path: '/appointments',
    arrayKey: 'appointments',
    chain: true,
    pageSize: 25,
    wrapperKey: 'appointment',
    permission: 'Appointments - View All',
  },
  { name: 'customer_assets', path: '/customer_assets', arrayKey: 'assets', pageSize: 50, permission: 'Assets - List/Search' },
  { name: 'contacts', path: '/contacts', arrayKey: 'contacts', pageSize: 50, permission: 'Customers - View Detail' },
  { name: 'contracts', path: '/contracts', arrayKey: 'contracts', pageSize: 50, permission: 'Contracts - List/Search' },
  {
    name: 'customers',
    path: '/customers',
    arrayKey: 'customers',
    pageSize: 100,
    params: { include_disabled: 'true' },
    permission: 'Customers - List/Search',
  },
  { name: 'estimates', path: '/estimates', arrayKey: 'estimates', pageSize: 25, permission: 'Estimates - List/Search' },
  {
    name: 'invoices',
    path: '/invoices',
    arrayKey: 'invoices',
    pageSize: 25,
    serverFilter: 'since_updated_at',
    permission: 'Invoices - List/Search',
  },
  { name: 'items', path: '/items', arrayKey: 'items', pageSize: 50, permission: 'Parts Orders - List/Search' },
  { name: 'line_items', path: '/line_items', arrayKey: 'line_items', pageSize: 100, permission: 'Global Admin' },
  { name: 'leads', path: '/leads', arrayKey: 'leads', pageSize: 25, permission: 'Leads - List/Search' },
  { name: 'payments', path: '/payments', arrayKey: 'payments', pageSize: 25, permission: 'Payments - View List' },
  {
    name: 'products',
    path: '/products',
    arrayKey: 'products',
    chain: true,
    pageSize: 20,
    replicationKey: undefined,
    permission: 'Products - List/Search',
  },
  {
    name: 'tickets',
    path: '/tickets',
    arrayKey: 'tickets',
    pageSize: 50,
    serverFilter: 'since_updated_at',
    permission: 'Tickets - List/Search',
  },
  {
    name: 'ticket_comments',
    path: '/tickets/{id}/comments',
    arrayKey: 'comments',
    pageSize: 10,
    kind: { type: 'child', parent: 'tickets' },
    replicationKey: undefined, // follows its parent: read for the tickets the run emits
    params: { per_page: '100' }, // documented here (default 10): fewer requests per ticket
    selectedByDefault: false,
  },
  // Under a record, read under every parent each sync: nothing says a parent's updated_at moves with these
  // (docs/api.md#child-resources).
  {
    name: 'ticket_worksheet_results',
    path: '/tickets/{id}/worksheet_results',
    arrayKey: 'worksheet_results',
    pageSize: 25,
    kind: { type: 'child', parent: 'tickets', everyParent: true, parentField: 'ticket_id' },
    keyProperties: ['ticket_id', 'id'],
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Tickets - View Details',
  },
  {
    name: 'asset_patches',
    path: '/customer_assets/{id}/patches',
    arrayKey: 'installed_patches',
    recordArrays: { field: 'patch_list', arrays: { installed_patches: 'installed', available_patches: 'available' } },
    madeKey: { field: 'patch_key', from: ['kb', 'title'] },
    kind: { type: 'child', parent: 'customer_assets', everyParent: true, parentField: 'asset_id' },
    keyProperties: ['asset_id', 'patch_list', 'patch_key'],
    unpaged: true,
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Assets - List/Search',
  },
  {
    name: 'customer_phones',
    path: '/customers/{id}/phones',
    arrayKey: 'phones',
    kind: { type: 'child', parent: 'customers', everyParent: true, parentField: 'customer_id' },
    unpaged: true,
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Customers - View Detail',
  },
  {
    name: 'product_serials',
    path: '/products/{id}/product_serials',
    arrayKey: 'product_serials',
    pageSize: 100,
    kind: { type: 'child', parent: 'products', everyParent: true, parentField: 'product_id' },
    replicationKey: undefined,
    selectedByDefault: false,
    permission: 'Products - List/Search',
  },
  {
    name: 'users',
    path: '/users',
    arrayKey: 'users',
    kind: { type: 'named-list', pairs: ['id', 'full_name'], detail: { path: '/users/{id}', recordKey: 'user' } },
  },
  { name: 'ticket_timers', path: '/ticket_timers', arrayKey: 'ticket_timers', pageSize: 100, permission: 'Ticket Timers - Overview' },
  { name: 'timelogs', path: '/timelogs', arrayKey: 'timelogs', chain: true },
  // Without status=all the endpoint lists active alerts only.
  {
    name: 'rmm_alerts',
    path: '/rmm_alerts',
    arrayKey: 'rmm_alerts',
    pageSize: 25,
    params: { status: 'all' },
    permission: 'RMM Alerts - List',
  },
  {
    name: 'purchase_orders',
    path: '/purchase_orders',
    arrayKey: 'purchase_orders',
    chain: true,
    pageSize: 20,
    permission: 'Purchase Orders - List/Search',
  },
  { name: 'vendors', path: '/vendors', arrayKey: 'vendors', chain: true, pageSize: 100, permission: 'Vendors - List' },
  { name: 'portal_users', path: '/portal_users', arrayKey: 'portal_users', pageSize: 100, permission: 'Global Admin' },
  {
    name: 'wiki_pages',
    path: '/wiki_pages',
    arrayKey: 'wiki_pages',
    chain: true,
    pageSize: 100,
    replicationKey: undefined,
    permission: 'Documentation - Allow Usage',
  },
  {
    name: 'schedules',
    path: '/schedules',
    arrayKey: 'schedules',
    chain: true,
    pageSize: 25,
    replicationKey: undefined,
    permission: 'Recurring Invoices - List',
  },
  { name: 'payment_methods', path: '/payment_methods', arrayKey: 'payment_methods' },
  {
    name: 'product_categories',
    path: '/products/categories',
    arrayKey: 'categories',
    replicationKey: undefined,
    permission: 'Products - List/Search',
  },
  {
    name: 'canned_responses',
    path: '/canned_responses',
    arrayKey: 'canned_responses',
    replicationKey: undefined,
    permission: 'Ticket Canned Responses - Manage',
  },
  {
    name: 'new_ticket_forms',
    path: '/new_ticket_forms',
    arrayKey: 'new_ticket_forms',
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
