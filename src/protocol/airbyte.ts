/**
 * The Airbyte protocol (v0) on the same engine as the Singer tap: the connector's specification, its
 * catalog, and the reading of a configured catalog and of a state into what the sync takes. What
 * PyAirbyte (the reference client tested against) sends and expects is noted where it shapes the code.
 */
import {
  discover,
  loadSchema,
  SINGER_DELETED_AT,
  type CatalogEntry,
  type ExtraColumns,
  type JsonSchema,
  type UserCatalog,
} from './catalog.js';
import { UsageError } from '../errors.js';
import { isPlainObject } from '../records/json.js';
import { airbyteCatalog, airbyteSpec, RECORD_RULES } from './messages.js';
import { keyPropertiesOf, streamByName } from '../streams.js';
import { airbyteIncremental, replicationOf } from '../graph.js';
import { repositoryUrl } from '../paths.js';
import { parseState, type TapState } from './state.js';

/** The cards of Airbyte's form, in order: settings.json's `group` names one. */
export const SPEC_GROUPS = [
  { id: 'connection', title: 'Connection' },
  { id: 'records', title: 'Records' },
  { id: 'requests', title: 'Requests and logs' },
] as const;

/**
 * SPEC: the settings that Airbyte mode reads (not those settings.json marks `singerOnly`), in its order,
 * each with its title, `order` and `group` for the form, the secret marked `airbyte_secret`; the
 * documentation page of the repository's address.
 */
export function specMessage(): string {
  const { properties: all = {}, required = [], ...settings } = loadSchema('settings');
  const offered = Object.entries(all).filter(([, property]) => property.singerOnly !== true);
  const properties = Object.fromEntries(
    offered.map(([name, { secret, ...rest }], order) => [name, { ...rest, order, ...(secret === true ? { airbyte_secret: true } : {}) }]),
  );
  const connectionSpecification = {
    $schema: 'http://json-schema.org/draft-07/schema#',
    ...settings,
    required,
    groups: SPEC_GROUPS,
    properties,
  };
  return airbyteSpec(connectionSpecification, documentationUrl());
}

/** The connector's page (metadata.yaml's documentationUrl is the same, a test holds them together). */
export function documentationUrl(): string | undefined {
  const repository = repositoryUrl();
  return repository && `${repository}/blob/main/docs/airbyte-platform.md`;
}

/**
 * CATALOG: every stream with its schema; incremental where its records carry a cursor (graph.ts
 * airbyteIncremental: a child's too, with a state of its own), the cursor defined by the source; the
 * primary key.
 */
export function catalogMessage(columns?: ExtraColumns): string {
  const streams = discover(columns).streams.map((entry) => {
    const def = streamByName(entry.stream)!;
    const incremental = airbyteIncremental(def);
    return {
      name: entry.stream,
      json_schema: airbyteSchema(entry.schema),
      supported_sync_modes: incremental ? ['full_refresh', 'incremental'] : ['full_refresh'],
      source_defined_cursor: incremental,
      ...(incremental ? { default_cursor_field: [def.replicationKey] } : {}),
      source_defined_primary_key: keyPropertiesOf(def).map((name) => [name]),
    };
  });
  return airbyteCatalog(streams);
}

/** A discovered schema with the tombstone's column under Airbyte's name (the CDC's), in its place. */
function airbyteSchema(schema: JsonSchema): JsonSchema {
  const properties = schema.properties ?? {};
  if (!(SINGER_DELETED_AT in properties)) return schema;
  const renamed = Object.entries(properties).map(([name, property]) => [
    name === SINGER_DELETED_AT ? RECORD_RULES.airbyte.deletedAt : name,
    property,
  ]);
  return { ...schema, properties: Object.fromEntries(renamed) as Record<string, JsonSchema> };
}

/**
 * A configured catalog, as the sync's catalog: the streams listed are selected with the schema given;
 * incremental where asked and possible. A stream asked incrementally without a cursor, or whose records
 * carry none, runs as a full refresh (PyAirbyte asks `incremental` for every stream).
 */
export function parseConfiguredCatalog(value: unknown, file: string): UserCatalog {
  const fail = (what: string): never => {
    throw new UsageError(`configured catalog ${file}: ${what}. Build it from \`tap-crm discover\`, as Airbyte and PyAirbyte do.`);
  };
  if (!isPlainObject(value) || !Array.isArray(value.streams)) return fail('expected an object with a "streams" array');
  const named = new Set<string>();
  const streams: CatalogEntry[] = value.streams.map((configured: unknown, i: number) => {
    if (!isPlainObject(configured) || !isPlainObject(configured.stream)) return fail(`streams[${i}] has no "stream" object`);
    const { name, json_schema: schema } = configured.stream;
    if (typeof name !== 'string') return fail(`streams[${i}] has no stream name`);
    const def = streamByName(name);
    if (!def) return fail(`streams[${i}] names unknown stream "${name}"`);
    if (named.has(name)) return fail(`streams[${i}] configures stream "${name}" again (a stream is configured once)`);
    named.add(name);
    if (!isPlainObject(schema) || !isPlainObject(schema.properties)) return fail(`stream "${name}" has no json_schema with "properties"`);
    const cursor = configured.cursor_field;
    if (Array.isArray(cursor) && cursor.length > 0 && (cursor.length !== 1 || cursor[0] !== def.replicationKey)) {
      return fail(
        `stream "${name}" cannot be read incrementally on ${JSON.stringify(cursor)}; its cursor is ${def.replicationKey ?? 'none'}`,
      );
    }
    // PyAirbyte asks `incremental` of every stream: a stream the catalog offers full_refresh only reads as one.
    const incremental = configured.sync_mode === 'incremental' && airbyteIncremental(def);
    const method = replicationOf(def, incremental ? 'INCREMENTAL' : 'FULL_TABLE') ?? 'FULL_TABLE';
    const metadata = { selected: true, 'replication-method': method };
    return { tap_stream_id: name, schema, metadata: [{ breadcrumb: [], metadata }] };
  });
  return { streams };
}

/**
 * An Airbyte state: the array of per-stream STATE messages this connector emitted (bare or in their
 * message envelope), each stream's `stream_state` its Singer bookmark; `[]` on a first read. PyAirbyte
 * adds nulls and a `global_` key: ignored. GLOBAL and LEGACY states (and a Singer state) are refused.
 */
export function parseAirbyteState(value: unknown, file: string): TapState {
  const fail = (what: string): never => {
    throw new UsageError(
      `state file ${file}: ${what}. Pass the per-stream STATE messages (type STREAM) that tap-crm emitted, as an array, or [] for a full read.`,
    );
  };
  if (!Array.isArray(value)) return fail('expected an array of STATE messages (a LEGACY or Singer state object is not read)');
  const bookmarks: TapState['bookmarks'] = {};
  value.forEach((item: unknown, i: number) => {
    const message = isPlainObject(item) && item.type === 'STATE' && isPlainObject(item.state) ? item.state : item;
    if (!isPlainObject(message)) return fail(`[${i}] is not a state message`);
    if (message.type !== 'STREAM') return fail(`[${i}] is a ${JSON.stringify(message.type ?? null)} state; only STREAM states are read`);
    const stream = isPlainObject(message.stream) ? message.stream : {};
    const name = isPlainObject(stream.stream_descriptor) ? stream.stream_descriptor.name : undefined;
    if (typeof name !== 'string') return fail(`[${i}] has no stream_descriptor.name`);
    if (stream.stream_state !== null && !isPlainObject(stream.stream_state)) return fail(`the stream_state of "${name}" is not an object`);
    if (isPlainObject(stream.stream_state)) bookmarks[name] = stream.stream_state;
  });
  // The bookmarks themselves are checked as a Singer state's are.
  return parseState({ bookmarks }, file);
}
