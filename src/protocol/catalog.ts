/**
 * The Singer catalog: discovery (schemas/ + the stream table, no API call) and selection (which streams
 * and fields a user's catalog asks for, read the way Meltano and the Meltano SDK write it).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DRIFTED, DRIFTED_SCHEMA } from '../records/conform.js';
import { UsageError } from '../errors.js';
import { isPlainObject as isObject, type JsonSchema } from '../records/json.js';
import { SCHEMAS_DIR } from '../paths.js';
import { keyPropertiesOf, STREAMS, streamByName, type ReplicationMethod, type StreamDef } from '../streams.js';
import { childKind, findsDeletions, parentOf, replicationOf } from '../graph.js';
import { RECORD_RULES } from './messages.js';
import type { CustomFieldsSpec } from '../records/custom-values.js';

export type { ReplicationMethod } from '../streams.js';

export type { JsonSchema } from '../records/json.js';

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

/** The catalog that --discover prints. */
export interface Catalog {
  streams: CatalogStream[];
}

/**
 * A stream of a user's catalog, as parseCatalog checked it: a name (tap_stream_id or stream) and a schema
 * with properties; the rest, written by hand or by another tool, may be missing or of any type.
 */
export interface CatalogEntry {
  tap_stream_id?: string;
  stream?: string;
  schema: JsonSchema;
  replication_method?: unknown;
  replication_key?: unknown;
  selected?: unknown;
  metadata?: MetadataEntry[];
}

export interface UserCatalog {
  streams: CatalogEntry[];
}

export function loadSchema(name: string): JsonSchema {
  return JSON.parse(readFileSync(join(SCHEMAS_DIR, `${name}.json`), 'utf8')) as JsonSchema;
}

/**
 * The catalog that `--discover` prints. Streams with `updated_at` are INCREMENTAL by default (a catalog
 * may choose FULL_TABLE); streams without a timestamp are forced to FULL_TABLE, but for the lists under a
 * record, INCREMENTAL by default (graph.ts), which are not selected by default.
 */
export function discover(columns: ExtraColumns = {}): Catalog {
  return { streams: STREAMS.map((def) => discoverStream(def, columns[def.name])) };
}

/** Columns a discovery adds to streams' schemas, by stream: the custom fields' (command/custom-columns.ts). */
export type ExtraColumns = Readonly<Record<string, Record<string, JsonSchema>>>;

/**
 * A stream's schema as discovered: its file's, with DRIFTED, where values that do not fit their type go
 * (conform.ts), and where the stream can find deletions, the column of its tombstones (Singer's name; the
 * Airbyte catalog renames it: airbyte.ts).
 */
export function streamSchema(name: string, columns: Record<string, JsonSchema> = {}): JsonSchema {
  const schema = loadSchema(name);
  const deletedAt = findsDeletions(streamByName(name)!) ? { [SINGER_DELETED_AT]: DELETED_AT_SCHEMA } : {};
  return { ...schema, properties: { ...schema.properties, ...columns, ...deletedAt, [DRIFTED]: DRIFTED_SCHEMA } };
}

/** The column of a tombstone: when the record was found deleted (sync/deletions.ts). */
export const SINGER_DELETED_AT = RECORD_RULES.singer.deletedAt;
export const DELETED_AT_SCHEMA: JsonSchema = { type: ['null', 'string'], format: 'date-time' };

/** `selected` with the column of its tombstones declared, where its catalog (older than tombstones) lacks it. */
export function withDeletedAt(selected: SelectedStream, column: string): SelectedStream {
  if (selected.schema.properties?.[column] !== undefined) return selected;
  const schema = { ...selected.schema, properties: { ...selected.schema.properties, [column]: DELETED_AT_SCHEMA } };
  return { ...selected, schema, fields: selected.fields && new Set([...selected.fields, column]) };
}

function discoverStream(def: StreamDef, columns?: Record<string, JsonSchema>): CatalogStream {
  const schema = streamSchema(def.name, columns);
  const method = replicationOf(def)!;
  const streamMeta: Record<string, unknown> = {
    inclusion: 'available',
    'selected-by-default': def.selectedByDefault,
    'table-key-properties': keyPropertiesOf(def),
  };
  if (def.replicationKey) {
    streamMeta['valid-replication-keys'] = [def.replicationKey];
    streamMeta['replication-method'] = method;
    streamMeta['replication-key'] = def.replicationKey;
  } else if (childKind(def)) {
    // INCREMENTAL: under the parents that changed (and swept on a schedule); FULL_TABLE: whole, each run.
    streamMeta['replication-method'] = method;
  } else {
    streamMeta['forced-replication-method'] = method;
  }
  const parent = parentOf(def);
  if (parent) streamMeta['parent-tap-stream-id'] = parent;
  const automatic = new Set(automaticFields(def));
  const fieldMeta = Object.keys(schema.properties ?? {}).map((field) => ({
    breadcrumb: ['properties', field],
    metadata: { inclusion: automatic.has(field) ? 'automatic' : 'available', 'selected-by-default': true },
  }));
  const entry: CatalogStream = {
    tap_stream_id: def.name,
    stream: def.name,
    schema,
    key_properties: [...keyPropertiesOf(def)],
    replication_method: method,
    metadata: [{ breadcrumb: [], metadata: streamMeta }, ...fieldMeta],
  };
  if (def.replicationKey) entry.replication_key = def.replicationKey;
  return entry;
}

/** A stream the sync will read: its definition, the schema to emit, the fields to keep, how to replicate. */
export interface SelectedStream {
  def: StreamDef;
  schema: JsonSchema;
  /** Top-level fields to keep in records, or null when every field (known or not) is kept. */
  fields: ReadonlySet<string> | null;
  /** INCREMENTAL on the stream's replication key, or FULL_TABLE. */
  method: ReplicationMethod;
  /** Not emitted, only walked: the parent of a selected child stream that is itself deselected. */
  walkOnly?: boolean;
  /** Its custom field columns to fill (setting custom_fields "columns"; command/custom-columns.ts). */
  customFields?: CustomFieldsSpec;
}

/** Checks the shape of a user's catalog file (already parsed) and names the first problem found. */
export function parseCatalog(value: unknown, file: string): UserCatalog {
  const fail = (what: string): never => {
    throw new UsageError(
      `catalog file ${file}: ${what}. Write a fresh catalog to another file (\`tap-crm --discover > catalog.new.json\`, which keeps ` +
        `${file} and its selections as they are) and mark in it the streams to sync "selected": true.`,
    );
  };
  if (!isObject(value) || !Array.isArray(value.streams)) return fail('expected an object with a "streams" array');
  const named = new Set<string>();
  value.streams.forEach((entry: unknown, i: number) => {
    if (!isObject(entry)) return fail(`streams[${i}] is not an object`);
    const id = entry.tap_stream_id ?? entry.stream;
    if (typeof id !== 'string') return fail(`streams[${i}] has no tap_stream_id`);
    if (!streamByName(id)) {
      return fail(`streams[${i}] names unknown stream "${id}" (known: ${STREAMS.map((s) => s.name).join(', ')})`);
    }
    // A stream listed twice would be read twice, its records written twice.
    if (named.has(id)) return fail(`streams[${i}] lists stream "${id}" again (a stream is listed once)`);
    named.add(id);
    if (!isObject(entry.schema) || !isObject(entry.schema.properties)) {
      return fail(`stream "${id}" has no schema with "properties"`);
    }
    for (const [field, property] of Object.entries(entry.schema.properties)) {
      if (!isObject(property)) return fail(`stream "${id}": the schema of property "${field}" is not an object`);
    }
    if (entry.metadata !== undefined && !Array.isArray(entry.metadata)) {
      return fail(`stream "${id}" has "metadata" that is not an array`);
    }
    (entry.metadata ?? []).forEach((item: unknown, j: number) => {
      if (!isObject(item) || !Array.isArray(item.breadcrumb) || !isObject(item.metadata)) {
        return fail(`stream "${id}": metadata[${j}] needs a "breadcrumb" array and a "metadata" object`);
      }
    });
  });
  return value as unknown as UserCatalog;
}

/**
 * The streams and fields a catalog selects, by the Meltano SDK's rules: a deselected stream deselects its
 * fields; `unsupported` is never emitted, `automatic` always; otherwise `selected`, else
 * `selected-by-default`. A stream without metadata at all is selected whole. No catalog: every stream.
 */
export function selectStreams(catalog: UserCatalog | undefined): SelectedStream[] {
  const entries: CatalogEntry[] = catalog?.streams ?? discover().streams.filter((s) => streamByName(s.stream)!.selectedByDefault);
  const selected: SelectedStream[] = [];
  for (const entry of entries) {
    const def = streamByName((entry.tap_stream_id ?? entry.stream)!)!;
    const metadata = entry.metadata ?? [];
    const root = metadata.find((m) => m.breadcrumb.length === 0)?.metadata ?? {};
    if (catalog && metadata.length > 0 && !isSelected(root, entry.selected)) continue;
    const properties = entry.schema.properties ?? {};
    const automatic = automaticFields(def);
    const kept = Object.keys(properties).filter((field) => {
      const meta = metadata.find((m) => m.breadcrumb.length === 2 && m.breadcrumb[1] === field)?.metadata;
      return !catalog || !meta || isSelected(meta, undefined) || automatic.includes(field);
    });
    const allKept = kept.length === Object.keys(properties).length;
    selected.push({
      def,
      schema: allKept ? entry.schema : { ...entry.schema, properties: pick(properties, kept) },
      fields: allKept ? null : new Set(kept),
      method: replicationMethod(def, root, entry),
    });
  }
  // A child stream needs its parent's records: walk the parent without emitting it when it is deselected.
  for (const child of selected) {
    const parentName = parentOf(child.def);
    if (parentName === undefined || selected.some((s) => s.def.name === parentName)) continue;
    const parent = streamByName(parentName)!;
    selected.push({ def: parent, schema: streamSchema(parent.name), fields: null, method: 'INCREMENTAL', walkOnly: true });
  }
  return selected;
}

/** The replication a catalog asks for (metadata first, then the stream entry), checked against the stream. */
function replicationMethod(def: StreamDef, root: Record<string, unknown>, entry: CatalogEntry): ReplicationMethod {
  const asked = root['replication-method'] ?? entry.replication_method;
  const key = root['replication-key'] ?? entry.replication_key;
  const fix = `Use FULL_TABLE or INCREMENTAL on updated_at in the catalog.`;
  if (asked !== undefined && asked !== 'FULL_TABLE' && asked !== 'INCREMENTAL') {
    throw new UsageError(`catalog: stream "${def.name}" asks for replication method ${JSON.stringify(asked)}. ${fix}`);
  }
  const method = replicationOf(def, asked);
  if (method === undefined) {
    throw new UsageError(`catalog: stream "${def.name}" has no replication key (its records carry no timestamp): use FULL_TABLE.`);
  }
  if (method === 'INCREMENTAL' && !childKind(def) && key != null && key !== def.replicationKey) {
    throw new UsageError(`catalog: stream "${def.name}" cannot replicate on ${JSON.stringify(key)}. ${fix}`);
  }
  return method;
}

function isSelected(meta: Record<string, unknown>, entrySelected: unknown): boolean {
  if (meta.inclusion === 'unsupported') return false;
  if (meta.inclusion === 'automatic') return true;
  const explicit = typeof meta.selected === 'boolean' ? meta.selected : entrySelected;
  if (typeof explicit === 'boolean') return explicit;
  return meta['selected-by-default'] === true;
}

/**
 * Fields always emitted: the key, the replication key (not a child's: its bookmark is its parent's), and
 * a tombstone's column, and DRIFTED (a value moved there must not be lost).
 */
function automaticFields(def: StreamDef): string[] {
  const deletedAt = findsDeletions(def) ? [SINGER_DELETED_AT] : [];
  return [...keyPropertiesOf(def), ...(def.replicationKey && !childKind(def) ? [def.replicationKey] : []), ...deletedAt, DRIFTED];
}

function pick<T>(object: Record<string, T>, keys: string[]): Record<string, T> {
  return Object.fromEntries(keys.map((k) => [k, object[k]!]));
}
