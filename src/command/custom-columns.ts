/**
 * Custom fields as columns (setting `custom_fields: "columns"`, docs/custom-fields.md), where a run meets
 * the API: the definitions read once (discovery, to declare the columns; a sync, to fill them with labels
 * that are current), and each selected stream told which of its catalog's columns to fill. Nothing here
 * fails a run: definitions that cannot be read leave the streams with their `properties` object only.
 */
import type { HttpClient, RequestContext } from '../api/http.js';
import { ApiError } from '../errors.js';
import type { Logger } from '../output/log.js';
import type { SelectedStream } from '../protocol/catalog.js';
import { DRIFTED } from '../records/conform.js';
import {
  CUSTOM_FIELD_STREAMS,
  columnProperties,
  customSources,
  readDefinitions,
  RECORD_TYPE_MEMBER,
  type CustomFieldStream,
  type CustomSource,
} from '../records/custom-fields.js';
import type { JsonSchema } from '../records/json.js';

/** The requests' name in the log and in the run's ledgers (the streams table counts them on a row of their own). */
export const DEFINITIONS = 'custom field definitions';

/** The endpoints that list the definitions: both, or /settings alone when tickets are not read. */
function endpointsFor(streams: ReadonlySet<string>): string[] {
  return streams.has('tickets') ? ['/settings', '/tickets/settings'] : ['/settings'];
}

/** The requests reading the definitions cost: for the ledgers' totals (the ETA). */
export function definitionRequests(streams: ReadonlySet<string>): number {
  return CUSTOM_FIELD_STREAMS.some((s) => streams.has(s)) ? endpointsFor(streams).length : 0;
}

/**
 * The columns of each stream with custom fields, from the account's definitions; undefined, after a
 * WARNING, when they cannot be read.
 */
export async function readSources(
  client: Pick<HttpClient, 'getJson'>,
  log: Logger,
  streams: ReadonlySet<string>,
): Promise<Record<CustomFieldStream, CustomSource[]> | undefined> {
  const context: RequestContext = { stream: DEFINITIONS };
  const answers: unknown[] = [];
  const failures: string[] = [];
  let refused = false;
  for (const path of endpointsFor(streams)) {
    try {
      answers.push(await client.getJson(path, {}, context));
    } catch (error) {
      if (!(error instanceof ApiError)) throw error;
      // Each answer holds definitions of its own (/settings: customers' and assets', and tickets' too): one lost loses only its part.
      answers.push(undefined);
      failures.push(error.message);
      refused ||= error.status === 401 || error.status === 403;
    }
  }
  const read = answers.length - failures.length;
  if (failures.length > 0)
    log.warning(
      `custom_fields "columns": custom field definitions could not be read (${failures.join('; ')})` +
        `${refused ? ': the API key may not read the account settings (give it that permission)' : ''}; ` +
        `${read === 0 ? 'every' : 'each'} field they define stays in the properties object only, as with custom_fields "object"`,
    );
  return read === 0 ? undefined : customSources(readDefinitions(answers[0], answers[1]));
}

/** The schema properties of each stream's columns, for discovery. */
export function discoveredColumns(sources: Record<CustomFieldStream, CustomSource[]>): Record<string, Record<string, JsonSchema>> {
  return Object.fromEntries(CUSTOM_FIELD_STREAMS.map((stream) => [stream, columnProperties(sources[stream])]));
}

/**
 * The selected streams, each told which of its catalog's columns to fill, in the type the catalog
 * declares (a column's type never changes once announced). Columns the definitions have and the catalog
 * lacks (a field defined after discovery, a catalog written before the setting) are said once, at INFO.
 */
export function withColumns(
  streams: readonly SelectedStream[],
  sources: Record<CustomFieldStream, CustomSource[]>,
  log: Pick<Logger, 'info'>,
): SelectedStream[] {
  return streams.map((selected) => {
    const name = selected.def.name as CustomFieldStream;
    if (selected.walkOnly || !(CUSTOM_FIELD_STREAMS as readonly string[]).includes(name)) return selected;
    const properties = selected.schema.properties ?? {};
    const declared = (column: string) => properties[column] !== undefined && (selected.fields === null || selected.fields.has(column));
    const missing: string[] = [];
    const kept: CustomSource[] = [];
    for (const source of sources[name]) {
      const columns = source.columns.map((c) => {
        if (!declared(c.column)) missing.push(c.column);
        return declared(c.column) ? { ...c, type: declaredType(properties[c.column]!, c.type) } : undefined;
      });
      if (columns.every((c) => c === undefined)) continue;
      // A column the catalog lacks keeps its place (the types' targets are indexes) but is not written.
      kept.push({ ...source, columns: columns.map((c, i) => c ?? { ...source.columns[i]!, unwritten: true }) });
    }
    const unannounced = missing.filter((c) => properties[c] === undefined);
    if (unannounced.length > 0)
      log.info(
        `stream ${name}: ${unannounced.length} custom field(s) of the account have no column in the catalog (${unannounced.join(', ')}): ` +
          'they stay in properties; discover again (tap-crm --discover --config …) to add their columns',
      );
    if (kept.length === 0) return selected;
    const typeMember = RECORD_TYPE_MEMBER[name];
    const names = sources[name].map((s) => s.name);
    return { ...selected, customFields: { sources: kept, names, typeMember, declaresDrifted: properties[DRIFTED] !== undefined } };
  });
}

/** The column's type as the catalog declares it: boolean, or else string. */
function declaredType(schema: JsonSchema, fallback: 'boolean' | 'string'): 'boolean' | 'string' {
  const types = Array.isArray(schema.type) ? schema.type : schema.type === undefined ? [] : [schema.type];
  if (types.includes('boolean')) return 'boolean';
  if (types.includes('string')) return 'string';
  return fallback;
}
