import { expect } from 'chai';
import { discover, parseCatalog, selectStreams, type Catalog } from '../../src/protocol/catalog.js';
import { STREAMS } from '../../src/streams.js';
import { childKind } from '../../src/graph.js';

const STREAM_NAMES = [
  'appointment_types',
  'appointments',
  'customer_assets',
  'contacts',
  'contracts',
  'customers',
  'estimates',
  'invoices',
  'items',
  'line_items',
  'leads',
  'payments',
  'products',
  'tickets',
  'ticket_comments',
  'ticket_worksheet_results',
  'asset_patches',
  'customer_phones',
  'product_serials',
  'users',
  'ticket_timers',
  'timelogs',
  'rmm_alerts',
  'purchase_orders',
  'vendors',
  'portal_users',
  'wiki_pages',
  'schedules',
  'payment_methods',
  'product_categories',
  'canned_responses',
  'new_ticket_forms',
];

function catalogWith(edit: (catalog: Catalog) => void): Catalog {
  const catalog = structuredClone(discover());
  edit(catalog);
  return catalog;
}
const rootMeta = (catalog: Catalog, stream: string) =>
  catalog.streams.find((s) => s.stream === stream)!.metadata.find((m) => m.breadcrumb.length === 0)!.metadata;
const fieldMeta = (catalog: Catalog, stream: string, field: string) =>
  catalog.streams.find((s) => s.stream === stream)!.metadata.find((m) => m.breadcrumb[1] === field)!.metadata;

describe('catalog: discovery and selection', () => {
  it('discovers the 27 list streams and the lists under a record, with their keys and Singer metadata', () => {
    const catalog = discover();
    expect(catalog.streams.map((s) => s.tap_stream_id)).to.deep.equal(STREAM_NAMES);
    for (const s of catalog.streams) {
      const def = STREAMS.find((d) => d.name === s.stream)!;
      const keys = def.keyProperties ?? ['id'];
      expect(s.stream).to.equal(s.tap_stream_id);
      expect(s.key_properties).to.deep.equal(keys);
      const root = rootMeta(catalog, s.stream);
      expect(root).to.include({ inclusion: 'available', 'selected-by-default': !childKind(def) });
      expect(root['table-key-properties']).to.deep.equal(keys);
      for (const key of keys) {
        expect(s.schema.required, `${s.stream}.${key} required`).to.include(key);
        expect(s.schema.properties![key]!.type, `${s.stream}.${key} not nullable`).to.be.oneOf(['integer', 'string']);
        expect(fieldMeta(catalog, s.stream, key).inclusion).to.equal('automatic');
      }
    }
    expect(rootMeta(catalog, 'asset_patches')['table-key-properties']).to.deep.equal(['asset_id', 'patch_list', 'patch_key']);
    expect(rootMeta(catalog, 'tickets')).to.deep.include({
      'valid-replication-keys': ['updated_at'],
      'replication-method': 'INCREMENTAL',
      'replication-key': 'updated_at',
    });
    expect(fieldMeta(catalog, 'tickets', 'updated_at').inclusion).to.equal('automatic');
    expect(rootMeta(catalog, 'products')).to.include({ 'forced-replication-method': 'FULL_TABLE' });
    expect(rootMeta(catalog, 'products')['valid-replication-keys']).to.equal(undefined);
    expect(rootMeta(catalog, 'ticket_comments')).to.include({ 'selected-by-default': false, 'parent-tap-stream-id': 'tickets' });
    for (const s of catalog.streams) {
      const fullTable = ['products', 'wiki_pages', 'schedules', 'product_categories', 'canned_responses', 'new_ticket_forms'];
      expect(s.replication_method, s.stream).to.equal(fullTable.includes(s.stream) ? 'FULL_TABLE' : 'INCREMENTAL');
    }
    // The lists under a record: INCREMENTAL by default (under the parents that changed, swept where they must
    // be), FULL_TABLE where a catalog asks; none forced, whether its records carry a timestamp or not.
    for (const child of ['ticket_comments', 'ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials']) {
      expect(rootMeta(catalog, child), child).to.include({ 'replication-method': 'INCREMENTAL' });
      expect(rootMeta(catalog, child), child).not.to.have.property('forced-replication-method');
    }
  });

  it('makes every property nullable except the key properties', () => {
    for (const s of discover().streams) {
      for (const [name, property] of Object.entries(s.schema.properties!)) {
        if (s.key_properties.includes(name)) continue;
        expect(property.type, `${s.stream}.${name}`).to.be.an('array').that.includes('null');
      }
    }
  });

  it('selects every stream selected by default without a catalog, and every field', () => {
    const selected = selectStreams(undefined);
    expect(selected.map((s) => s.def.name)).to.deep.equal(STREAMS.filter((s) => !childKind(s)).map((s) => s.name));
    expect(selected.every((s) => s.fields === null)).to.equal(true);
  });

  it('selects by metadata `selected`, by the stream entry `selected`, and by selected-by-default', () => {
    const catalog = catalogWith((c) => {
      for (const s of c.streams) rootMeta(c, s.stream)['selected-by-default'] = false;
      rootMeta(c, 'tickets').selected = true;
      c.streams.find((s) => s.stream === 'customers')!.selected = true;
      rootMeta(c, 'invoices')['selected-by-default'] = true;
      rootMeta(c, 'leads').selected = false;
      c.streams.find((s) => s.stream === 'leads')!.selected = true; // metadata wins over the entry
    });
    expect(selectStreams(catalog).map((s) => s.def.name)).to.deep.equal(['customers', 'invoices', 'tickets']);
  });

  it('removes deselected fields from the schema and the records, keeps automatic ones', () => {
    const catalog = catalogWith((c) => {
      for (const s of c.streams) if (s.stream !== 'tickets') rootMeta(c, s.stream).selected = false;
      fieldMeta(c, 'tickets', 'subject').selected = false;
      fieldMeta(c, 'tickets', 'id').selected = false; // automatic: kept anyway
    });
    const [tickets] = selectStreams(catalog);
    expect(tickets!.def.name).to.equal('tickets');
    expect(tickets!.schema.properties).not.to.have.property('subject');
    expect(tickets!.schema.properties).to.have.property('id');
    expect(tickets!.fields!.has('subject')).to.equal(false);
    expect(tickets!.fields!.has('id')).to.equal(true);
  });

  it('selects a stream with no metadata at all, and emits the catalog schema as given', () => {
    const catalog: Catalog = {
      streams: [
        {
          tap_stream_id: 'leads',
          stream: 'leads',
          key_properties: ['id'],
          metadata: [],
          schema: { type: 'object', properties: { id: { type: 'integer' }, status: { type: ['null', 'string'] } } },
        },
      ],
    };
    const [leads] = selectStreams(catalog);
    expect(leads!.schema.properties).to.have.keys('id', 'status');
  });

  it('honours a catalog’s replication method, from metadata or from the stream entry', () => {
    const catalog = catalogWith((c) => {
      rootMeta(c, 'tickets')['replication-method'] = 'FULL_TABLE';
      const leads = c.streams.find((s) => s.stream === 'leads')!;
      delete rootMeta(c, 'leads')['replication-method'];
      leads.replication_method = 'FULL_TABLE';
    });
    const methods = Object.fromEntries(selectStreams(catalog).map((s) => [s.def.name, s.method]));
    expect(methods).to.include({ tickets: 'FULL_TABLE', leads: 'FULL_TABLE', invoices: 'INCREMENTAL', products: 'FULL_TABLE' });
  });

  it('rejects replication choices a stream cannot honour', () => {
    const incrementalProducts = catalogWith((c) => (rootMeta(c, 'products')['replication-method'] = 'INCREMENTAL'));
    expect(() => selectStreams(incrementalProducts)).to.throw(/stream "products" has no replication key .*use FULL_TABLE/);
    const otherKey = catalogWith((c) => (rootMeta(c, 'tickets')['replication-key'] = 'created_at'));
    expect(() => selectStreams(otherKey)).to.throw(/stream "tickets" cannot replicate on "created_at"/);
    const logBased = catalogWith((c) => (rootMeta(c, 'tickets')['replication-method'] = 'LOG_BASED'));
    expect(() => selectStreams(logBased)).to.throw(/asks for replication method "LOG_BASED"/);
  });

  it('walks a deselected parent, without emitting it, when its child stream is selected', () => {
    const catalog = catalogWith((c) => {
      for (const s of c.streams) rootMeta(c, s.stream).selected = s.stream === 'ticket_comments';
    });
    const selected = selectStreams(catalog);
    expect(selected.map((s) => [s.def.name, s.walkOnly ?? false])).to.deep.equal([
      ['ticket_comments', false],
      ['tickets', true],
    ]);
  });

  it('rejects a catalog naming an unknown stream, or of the wrong shape, naming the file', () => {
    const unknown = { streams: [{ tap_stream_id: 'tickets_v2', schema: { properties: {} }, metadata: [] }] };
    expect(() => parseCatalog(unknown, 'c.json')).to.throw(/catalog file c.json: streams\[0\] names unknown stream "tickets_v2"/);
    expect(() => parseCatalog({ stream: [] }, 'c.json')).to.throw(/expected an object with a "streams" array/);
    expect(() => parseCatalog({ streams: [{ tap_stream_id: 'leads' }] }, 'c.json')).to.throw(/stream "leads" has no schema/);
    const leads = (extra: Record<string, unknown>) => ({
      streams: [{ tap_stream_id: 'leads', schema: { properties: { id: { type: 'integer' } } }, ...extra }],
    });
    expect(() => parseCatalog(leads({ metadata: [{ metadata: {} }] }), 'c.json')).to.throw(
      /metadata\[0\] needs a "breadcrumb" array and a "metadata" object/,
    );
    const nullProperty = { streams: [{ tap_stream_id: 'leads', schema: { properties: { id: null } } }] };
    expect(() => parseCatalog(nullProperty, 'c.json')).to.throw(/the schema of property "id" is not an object/);
  });

  it('advises a fresh catalog in another file, never one that overwrites the user’s selections', () => {
    let message = '';
    try {
      parseCatalog({ stream: [] }, 'my-catalog.json');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).to.include('tap-crm --discover > catalog.new.json').and.to.include('keeps my-catalog.json and its selections');
    expect(message).not.to.include('> my-catalog.json');
  });
});
