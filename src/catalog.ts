/**
 * The Singer catalog: discovery (schemas/ + the stream table, no API call) and selection (which streams
 * and fields a user's catalog asks for, read the way Meltano and the Meltano SDK write it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './errors.js';
import { SCHEMAS_DIR } from './paths.js';
import { STREAMS, streamByName, type StreamDef } from './streams.js';

export type JsonSchema = {
  type?: string | string[];
  format?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  [keyword: string]: unknown;
};

export type ReplicationMethod = 'FULL_TABLE' | 'INCREMENTAL';

export interface MetadataEntry {
  breadcrumb: string[];
  metadata: Record<string, unknown>;
}

export interface CatalogStream {
  tap_stream_id: string;
  stream: string;
  schema: JsonSchema;
  key_properties: string[];
  replication_method?: ReplicationMethod;
  replication_key?: string;
  selected?: boolean;
  metadata: MetadataEntry[];
}

export interface Catalog {
  streams: CatalogStream[];
}

export const KEY_PROPERTIES = ['id'];

export function loadSchema(name: string): JsonSchema {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.json`), 'utf8')) as JsonSchema;
}

/** The catalog that `--discover` prints: every stream, selected by default, full table for now. */
export function discover(): Catalog {
  return { streams: STREAMS.map(discoverStream) };
}

function discoverStream(def: StreamDef): CatalogStream {
  const schema = loadSchema(def.name);
  const streamMeta: Record<string, unknown> = {
    inclusion: 'available',
    'selected-by-default': true,
    'table-key-properties': KEY_PROPERTIES,
    'forced-replication-method': 'FULL_TABLE',
  };
  if (def.replicationKey) streamMeta['valid-replication-keys'] = [def.replicationKey];
  const fieldMeta = Object.keys(schema.properties ?? {}).map((field) => ({
    breadcrumb: ['properties', field],
    metadata: {
      inclusion: KEY_PROPERTIES.includes(field) ? 'automatic' : 'available',
      'selected-by-default': true,
    },
  }));
  return {
    tap_stream_id: def.name,
    stream: def.name,
    schema,
    key_properties: KEY_PROPERTIES,
    replication_method: 'FULL_TABLE',
    metadata: [{ breadcrumb: [], metadata: streamMeta }, ...fieldMeta],
  };
}

/** A stream the sync will read: its definition, the schema to emit, and the fields to keep. */
export interface SelectedStream {
  def: StreamDef;
  schema: JsonSchema;
  /** Top-level fields to keep in records, or null when every field (known or not) is kept. */
  fields: ReadonlySet<string> | null;
}

/** Checks the shape of a user's catalog file (already parsed) and names the first problem found. */
export function parseCatalog(value: unknown, file: string): Catalog {
  const fail = (what: string): never => {
    throw new UsageError(
      `catalog file ${file}: ${what}. Regenerate it with \`tap-crm --discover > ${file}\` and select streams in it.`,
    );
  };
  if (!isObject(value) || !Array.isArray(value.streams)) return fail('expected an object with a "streams" array');
  value.streams.forEach((entry: unknown, i: number) => {
    if (!isObject(entry)) return fail(`streams[${i}] is not an object`);
    const id = entry.tap_stream_id ?? entry.stream;
    if (typeof id !== 'string') return fail(`streams[${i}] has no tap_stream_id`);
    if (!streamByName(id)) {
      return fail(`streams[${i}] names unknown stream "${id}" (known: ${STREAMS.map((s) => s.name).join(', ')})`);
    }
    if (!isObject(entry.schema) || !isObject(entry.schema.properties)) {
      return fail(`stream "${id}" has no schema with "properties"`);
    }
    if (entry.metadata !== undefined && !Array.isArray(entry.metadata)) {
      return fail(`stream "${id}" has "metadata" that is not an array`);
    }
  });
  return value as unknown as Catalog;
}

/**
 * The streams and fields a catalog selects, by the Meltano SDK's rules: a deselected stream deselects its
 * fields; `unsupported` is never emitted, `automatic` always; otherwise `selected`, else
 * `selected-by-default`. A stream without metadata at all is selected whole. No catalog: every stream.
 */
export function selectStreams(catalog: Catalog | undefined): SelectedStream[] {
  if (!catalog) return discover().streams.map((s) => ({ def: streamByName(s.stream)!, schema: s.schema, fields: null }));
  const selected: SelectedStream[] = [];
  for (const entry of catalog.streams) {
    const def = streamByName(entry.tap_stream_id ?? entry.stream)!;
    const metadata = entry.metadata ?? [];
    const root = metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
    if (metadata.length > 0 && !isSelected(root, entry.selected)) continue;
    const properties = entry.schema.properties ?? {};
    const kept = Object.keys(properties).filter((field) => {
      const meta = metadata.find((m) => m.breadcrumb.length === 2 && m.breadcrumb[1] === field)?.metadata;
      return !meta || isSelected(meta, undefined) || KEY_PROPERTIES.includes(field);
    });
    const allKept = kept.length === Object.keys(properties).length;
    selected.push({
      def,
      schema: allKept ? entry.schema : { ...entry.schema, properties: pick(properties, kept) },
      fields: allKept ? null : new Set(kept),
    });
  }
  return selected;
}

function isSelected(meta: Record<string, unknown>, entrySelected: boolean | undefined): boolean {
  if (meta.inclusion === 'unsupported') return false;
  if (meta.inclusion === 'automatic') return true;
  const explicit = typeof meta.selected === 'boolean' ? meta.selected : entrySelected;
  if (typeof explicit === 'boolean') return explicit;
  return meta['selected-by-default'] === true;
}

function pick<T>(object: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, object[k]!]));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
