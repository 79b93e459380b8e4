/**
 * Stream maps and flattening against the Meltano SDK's own mapper: for each config below (together they
 * use every feature: property maps added, replaced and removed with null and "__NULL__", __else__ in a
 * stream and at the top, __alias__, __source__, __filter__, __key_properties__, a dropped stream, fnmatch
 * patterns, the expression names and functions, flattening at two depths), the output of `tap-crm` with
 * the maps inline must equal that of `tap-crm | meltano-map-transform` (0.12.3, pinned in
 * requirements/meltano-map-transform.txt) given the same maps, on every stream of the simulator's
 * catalog (ticket_comments selected too): the SCHEMA messages and the RECORDs of each output stream,
 * after normalising key order (flattened JSON text is compared as text: it must be byte-exact). Then
 * both outputs load into MeltanoLabs target-postgres.
 *
 * Known differences of the pipe that are not mapping (normalised here, each checked): meltano-map-transform
 * writes `bookmark_properties: []` on every SCHEMA (it reads a "bookmark_keys" key no message has), a
 * SCHEMA for a dropped stream (an SDK tap with inline maps writes none), and its own time_extracted.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { discover } from '../../src/protocol/catalog.js';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { integrationEnv, type IntegrationEnv } from './env.js';
import { binDir, explain, Pg, sh, TAP_BIN, targetPostgresConfig, tempDir, uniqueSchema, writeJson } from './helpers.js';

type Message = Record<string, unknown> & { type: string; stream?: string };

const MAPS: Record<string, Record<string, unknown>> = {
  'hash personal data, tenant column on every stream (fnmatch "*")': {
    stream_maps: {
      '*': { tenant_id: "config['tenant']", source_stream: '__stream_name__' },
      customers: {
        email: "md5(config['hash_seed'] + email) if email else None",
        email_domain: "email.split('@')[-1].lower() if email else None",
        phone: null,
        mobile: '__NULL__',
        tenant_id: "config['tenant']",
        name_sha: "sha256(str(record.get('fullname')))",
      },
      contacts: { email: "md5(config['hash_seed'] + (_.get('email') or ''))", name: null },
    },
    stream_map_config: { hash_seed: 's3cr3t-', tenant: 'acme' },
  },
  'alias, source, filter, key properties, else null, a dropped stream': {
    stream_maps: {
      tickets: { __alias__: 'support_tickets', subject_upper: 'subject.upper() if subject else None', n: 'int(id) * 2' },
      invoices: {
        __else__: null,
        id: 'id',
        updated_at: 'updated_at',
        customer_id: 'customer_id',
        total: 'total',
        big: 'bool(float(total) > 100) if total else False',
      },
      customers_even: { __source__: 'customers', __filter__: 'id % 2 == 0', parity: "'even'" },
      customers_odd: { __source__: 'customers', __filter__: 'id % 2 == 1', parity: "'odd'", __key_properties__: ['id', 'parity'] },
      payments: {
        amount_x2: 'float(payment_amount) * 2 if payment_amount is not None else None',
        id_hash: 'md5(str(id))',
        __key_properties__: ['id_hash'],
      },
      products: { __filter__: 'price_retail is not None and price_retail > 10', price_text: 'str(price_retail)' },
      'line_item?': { __alias__: 'lines' },
      leads: null,
      vendors: '__NULL__',
      schedules_copy: { __source__: 'schedules' },
      wiki_pages: null,
    },
  },
  'top-level __else__ null keeps only the streams named': {
    stream_maps: {
      customers: {},
      contacts: { __alias__: "__stream_name__ + '_v2'" },
      products: { __alias__: 'catalogue' },
      ticket_comments: { __key_properties__: null, body_len: "str(int('x')) if False else 'x'" },
      __else__: null,
    },
  },
  'flattening, depth 1, every stream': { stream_maps: {}, flattening_enabled: true, flattening_max_depth: 1 },
  'flattening, depth 3, with maps': {
    stream_maps: { customers: { address_json: "json.dumps(record.get('properties'))", properties_copy: 'properties' } },
    flattening_enabled: true,
    flattening_max_depth: 3,
  },
};

/** Every stream of the catalog selected, ticket_comments included. */
function everyStream(): unknown {
  const catalog = discover();
  for (const stream of catalog.streams) {
    const root = stream.metadata.find((m) => m.breadcrumb.length === 0)!;
    root.metadata.selected = true;
  }
  return catalog;
}

/** JSON with keys sorted at every level: equal values, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (typeof value === 'object' && value !== null)
    return `{${Object.keys(value)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  return JSON.stringify(value);
}

interface Output {
  schemas: Map<string, string[]>;
  records: Map<string, string[]>;
  /** Streams with a SCHEMA and no RECORD. */
  silent: string[];
  /** The streams of the ACTIVATE_VERSION messages, sorted. */
  activations: string[];
}

function readOutput(text: string): Output {
  const schemas = new Map<string, string[]>();
  const records = new Map<string, string[]>();
  const activations: string[] = [];
  for (const line of text.split('\n')) {
    if (!line.trim()) continue;
    const message = JSON.parse(line) as Message;
    const stream = String(message.stream);
    if (message.type === 'SCHEMA') {
      const { schema, key_properties } = message;
      const list = schemas.get(stream) ?? [];
      const entry = canonical({ schema, key_properties: key_properties ?? null });
      if (list.at(-1) !== entry) list.push(entry);
      schemas.set(stream, list);
    } else if (message.type === 'ACTIVATE_VERSION') {
      activations.push(stream); // versions differ: each run's is its own start
    } else if (message.type === 'RECORD') {
      const list = records.get(stream) ?? [];
      list.push(canonical(message.record));
      records.set(stream, list);
    }
  }
  for (const list of records.values()) list.sort();
  const silent = [...schemas.keys()].filter((s) => !records.has(s));
  return { schemas, records, silent, activations: activations.sort() };
}

describe('stream maps and flattening: tap-crm inline equals tap-crm | meltano-map-transform 0.12.3', function () {
  this.timeout(600_000);
  let env: IntegrationEnv;
  let sim: Simulator;
  let pg: Pg;
  const schemasToDrop: string[] = [];

  before(async () => {
    env = integrationEnv();
    pg = new Pg(env);
    sim = await startSimulator({ records: 800, seed: 19, rpm: 0 });
  });

  after(async () => {
    await sim?.close();
    for (const schema of schemasToDrop) await pg.dropSchema(schema);
  });

  for (const [name, maps] of Object.entries(MAPS)) {
    describe(name, () => {
      let work: string;
      let inline: Output;
      let piped: Output;

      before(async () => {
        work = tempDir('maps');
        // activate_version: ACTIVATE_VERSION of the full-table streams, renamed and copied by the maps too.
        const base = { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, progress: false, activate_version: true };
        writeJson(work, 'c.json', base);
        writeJson(work, 'inline.json', { ...base, ...maps });
        writeJson(work, 'maps.json', maps);
        writeJson(work, 'catalog.json', everyStream());
        const bin = binDir({ 'tap-crm': TAP_BIN, 'meltano-map-transform': env.meltanoMapTransform });
        const run = await sh(
          [
            'tap-crm --config inline.json --catalog catalog.json > inline.jsonl',
            'tap-crm --config c.json --catalog catalog.json | meltano-map-transform --config maps.json > piped.jsonl',
          ].join('\n'),
          { cwd: work, path: [bin] },
        );
        expect(run.code, explain(run)).to.equal(0);
        inline = readOutput(readFileSync(join(work, 'inline.jsonl'), 'utf8'));
        piped = readOutput(readFileSync(join(work, 'piped.jsonl'), 'utf8'));
      });

      it('writes the same output streams (a dropped stream: a SCHEMA only from meltano-map-transform, no RECORD from either)', () => {
        const extra = [...piped.schemas.keys()].filter((s) => !inline.schemas.has(s));
        expect(
          extra.every((s) => piped.silent.includes(s)),
          `streams only the pipe announces: ${extra.join(', ')}`,
        ).to.equal(true);
        expect([...inline.schemas.keys()].sort()).to.deep.equal([...piped.schemas.keys()].filter((s) => !extra.includes(s)).sort());
        expect([...inline.records.keys()].sort()).to.deep.equal([...piped.records.keys()].sort());
        expect(inline.records.size, 'some records written').to.be.greaterThan(0);
      });

      it('writes the same ACTIVATE_VERSION messages (each output stream of a full-table stream; none for a dropped one)', () => {
        const dropped = [...piped.schemas.keys()].filter((s) => !inline.schemas.has(s));
        const expected = piped.activations.filter((stream) => !dropped.includes(stream));
        expect(inline.activations).to.deep.equal(expected);
        expect(inline.activations.length).to.be.greaterThan(0);
      });

      it('writes the same SCHEMA messages (schema and key properties), stream by stream', () => {
        for (const [stream, list] of inline.schemas) expect(list, stream).to.deep.equal(piped.schemas.get(stream));
      });

      it('writes the same RECORDs, stream by stream', () => {
        for (const [stream, list] of piped.records) {
          const mine = inline.records.get(stream) ?? [];
          expect(mine.length, `${stream}: records`).to.equal(list.length);
          const differing = mine.findIndex((r, i) => r !== list[i]);
          expect(differing < 0 ? '' : `${mine[differing]!}\n  vs ${list[differing]!}`, stream).to.equal('');
        }
      });

      it('loads into target-postgres, both outputs', async () => {
        for (const file of ['inline.jsonl', 'piped.jsonl']) {
          const schema = uniqueSchema('maps');
          schemasToDrop.push(schema);
          writeJson(work, 't.json', targetPostgresConfig(env, schema));
          const bin = binDir({ 'target-postgres': env.targetPostgres });
          const load = await sh(`target-postgres --config t.json < ${file} > state-out.jsonl`, { cwd: work, path: [bin] });
          expect(load.code, explain(load)).to.equal(0);
          const tables = await pg.tables(schema);
          expect(tables, file).to.include.members([...inline.records.keys()]);
        }
      });
    });
  }
});
