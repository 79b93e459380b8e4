/**
 * The streams of tap-crm, as data: one row per API list endpoint. Adding a stream of the same API is
 * adding a row here and a schema file in schemas/. The facts behind each row are in docs/api.md.
 */

export interface StreamDef {
  /** Singer stream name and tap_stream_id; also the schema file name (schemas/<name>.json). */
  readonly name: string;
  /** Path under base_url. */
  readonly path: string;
  /** Key of the record array in the response body. */
  readonly arrayKey: string;
  /** Replication key carried by the records, if they have one. */
  readonly replicationKey?: 'updated_at';
  /** Query parameter that makes the server filter on the replication key, where the API honours one. */
  readonly serverFilter?: 'since_updated_at';
  /** Query parameters sent on every request of the stream. */
  readonly params?: Readonly<Record<string, string>>;
  /** Key of the wrapper object around each element, where the API may wrap records ({"appointment": {...}}). */
  readonly wrapperKey?: string;
  /** The permission a 401 on this stream means is missing. */
  readonly permission?: string;
  /** A child stream is read once per record its parent emits, `{id}` in its path being the parent's id. */
  readonly parent?: string;
  /** Whether a catalog selects the stream when it says nothing about it. */
  readonly selectedByDefault: boolean;
}

/** Shared defaults, as in the seed's resource_defaults: every row starts from these. */
const defaults = { replicationKey: 'updated_at', selectedByDefault: true } as const satisfies Partial<StreamDef>;

const rows: readonly (Partial<StreamDef> & Pick<StreamDef, 'name' | 'path' | 'arrayKey'>)[] = [
  { name: 'appointment_types', path: '/appointment_types', arrayKey: 'appointment_types', permission: 'Global Admin' },
  { name: 'appointments', path: '/appointments', arrayKey: 'appointments', wrapperKey: 'appointment' },
  { name: 'customer_assets', path: '/customer_assets', arrayKey: 'assets' },
  { name: 'contacts', path: '/contacts', arrayKey: 'contacts' },
  { name: 'contracts', path: '/contracts', arrayKey: 'contracts' },
  { name: 'customers', path: '/customers', arrayKey: 'customers', params: { include_disabled: 'true' } },
  { name: 'estimates', path: '/estimates', arrayKey: 'estimates' },
  { name: 'invoices', path: '/invoices', arrayKey: 'invoices', serverFilter: 'since_updated_at' },
  { name: 'items', path: '/items', arrayKey: 'items' },
  { name: 'line_items', path: '/line_items', arrayKey: 'line_items', permission: 'Global Admin' },
  { name: 'leads', path: '/leads', arrayKey: 'leads' },
  { name: 'payments', path: '/payments', arrayKey: 'payments' },
  { name: 'products', path: '/products', arrayKey: 'products', replicationKey: undefined },
  { name: 'tickets', path: '/tickets', arrayKey: 'tickets', serverFilter: 'since_updated_at' },
  {
    name: 'ticket_comments',
    path: '/tickets/{id}/comments',
    arrayKey: 'comments',
    parent: 'tickets',
    replicationKey: undefined, // follows its parent: read for the tickets the run emits
    params: { per_page: '100' }, // documented here (default 10): fewer requests per ticket
    selectedByDefault: false,
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
