/**
 * The stream maps of a run (settings stream_maps, stream_map_config, flattening_enabled,
 * flattening_max_depth), as the Meltano SDK's PluginMapper reads them: for each source stream, the list
 * of its output streams' maps, the first being the same-named one (or what replaces it: a map, `null`
 * to drop the stream, `__else__: null` to drop every stream not named), then one per `__source__` map
 * that reads it. Stream names may be fnmatch patterns ("*", "customer?").
 */
import type { JsonSchema } from '../records/json.js';
import { UsageError } from '../errors.js';
import { Expression } from './evaluate.js';
import { DEFAULT_MAX_KEY_LENGTH, DEFAULT_SEPARATOR, type Flattening } from './flatten.js';
import { fromRecord } from './pyjson.js';
import { MapSyntaxError } from './parser.js';
import {
  configSecrets,
  customMap,
  isNullDef,
  mapConfigError,
  quoteSource,
  removeMap,
  sameMap,
  type MapContext,
  type StreamMap,
} from './stream-map.js';
import { PyError, str, type PyValue } from './values.js';

/** The settings maps read (plain JSON: they travel to the page workers as they are). */
export interface MapSettings {
  stream_maps?: Record<string, unknown> | null;
  stream_map_config?: Record<string, unknown> | null;
  flattening_enabled?: boolean;
  flattening_max_depth?: number;
}

/** Whether the settings ask for any mapping or flattening at all. */
export function mapsWanted(settings: MapSettings): boolean {
  return Object.keys(settings.stream_maps ?? {}).length > 0 || settings.flattening_enabled === true;
}

export class Mapper {
  private readonly maps: Record<string, unknown>;
  private readonly context: MapContext;
  private readonly removeOthers: boolean;

  constructor(settings: MapSettings) {
    this.maps = { ...(settings.stream_maps ?? {}) };
    const config = settings.stream_map_config === undefined ? {} : fromRecord(settings.stream_map_config);
    this.context = { config, secrets: configSecrets(config), flattening: flattening(settings) };
    this.removeOthers = '__else__' in this.maps;
    if (this.removeOthers) {
      if (!isNullDef(this.maps.__else__))
        throw new UsageError(
          `setting "stream_maps": "__else__" may only be null or "__NULL__" (drop every stream not named); got ${JSON.stringify(this.maps.__else__)}`,
        );
      delete this.maps.__else__;
    }
    for (const [key, def] of Object.entries(this.maps)) {
      if (key.startsWith('__'))
        throw new UsageError(`setting "stream_maps": option "${key}" (${JSON.stringify(def)}) is not expected at the top level`);
    }
  }

  /** The maps of a source stream, first the same-named one (register_raw_stream_schema). */
  mapsFor(stream: string, schema: JsonSchema, keyProperties: string[] | null): StreamMap[] {
    const maps: StreamMap[] = [this.removeOthers ? removeMap(stream, schema) : sameMap(stream, schema, keyProperties, this.context)];
    for (const [key, value] of Object.entries(this.maps)) {
      const def = isObject(value) ? { ...value } : value;
      let source = key;
      let alias = key;
      let primary = true;
      if (isObject(def)) {
        if ('__source__' in def) {
          source = String(def.__source__);
          delete def.__source__;
          primary = false;
        } else if ('__alias__' in def) {
          alias = streamAlias(key, def.__alias__, stream);
          delete def.__alias__;
        }
      }
      // A pattern ("*") maps the stream under its own name, unless the map renames it.
      if (stream !== source) {
        if (!fnmatch(stream, source)) continue;
        if (alias === source) alias = stream;
      }
      const map = this.mapOf(key, alias, stream, def, schema, keyProperties);
      if (primary) maps[0] = map;
      else maps.push(map);
    }
    return maps;
  }

  private mapOf(key: string, alias: string, stream: string, def: unknown, schema: JsonSchema, keyProperties: string[] | null): StreamMap {
    if (isObject(def)) return customMap(alias, stream, def, { schema, keyProperties }, this.context);
    if (isNullDef(def)) return removeMap(alias, schema);
    throw mapConfigError(key, undefined, `expected an object of properties, null or "__NULL__" (got ${JSON.stringify(def)})`);
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function flattening(settings: MapSettings): Flattening | undefined {
  const enabled = settings.flattening_enabled ?? false;
  const depth = settings.flattening_max_depth;
  if (enabled && depth === undefined)
    throw new UsageError(
      'setting "flattening_max_depth" is required when flattening_enabled is true (the depth of nested properties to flatten, such as 1)',
    );
  if (!enabled || depth === undefined || depth <= 0) return undefined;
  return { maxLevel: depth, separator: DEFAULT_SEPARATOR, maxKeyLength: DEFAULT_MAX_KEY_LENGTH };
}

/** __alias__ evaluated with __stream_name__ (the SDK's _eval_stream): an unknown name leaves the text as it is ("customers_v2"). */
function streamAlias(key: string, text: unknown, stream: string): string {
  if (typeof text !== 'string') throw mapConfigError(key, '__alias__', `expected a string (got ${JSON.stringify(text)})`);
  let expression: Expression;
  try {
    expression = new Expression(text);
  } catch (error) {
    if (error instanceof MapSyntaxError && error.column === undefined) throw mapConfigError(key, '__alias__', error.message);
    if (error instanceof MapSyntaxError)
      throw mapConfigError(key, '__alias__', `the expression ${quoteSource(text)} cannot be parsed: ${error.message}`);
    throw error;
  }
  let value: PyValue;
  try {
    value = expression.evaluate((name) => (name === '__stream_name__' ? stream : undefined));
  } catch (error) {
    if (error instanceof PyError && error.kind === 'NameNotDefined') return text;
    if (error instanceof PyError) throw mapConfigError(key, '__alias__', `the expression ${quoteSource(text)} failed: ${error.message}`);
    throw error;
  }
  return str(value);
}

/**
 * Keys that a later pattern replaces: the SDK lets the last matching key win, so "*" written after
 * "customers" replaces the customers map (a hash of personal data included). Said in a WARNING.
 */
export function shadowedMaps(settings: MapSettings): string[] {
  const maps = settings.stream_maps ?? {};
  const primary = ([key, def]: [string, unknown]) => !key.startsWith('__') && !(isObject(def) && '__source__' in def);
  const keys = Object.entries(maps)
    .filter(primary)
    .map(([key]) => key);
  const said: string[] = [];
  keys.forEach((key, i) => {
    for (const later of keys.slice(i + 1))
      if (fnmatch(key, later))
        said.push(
          `stream map "${later}" comes after "${key}" and matches it, so it replaces the map of ${key} (the last key that ` +
            `matches wins, as in the Meltano SDK); write "${later}" first to give ${key} a map of its own`,
        );
  });
  return said;
}

/** Python's fnmatch.fnmatch on POSIX: *, ?, [seq], [!seq], case-sensitive. */
export function fnmatch(name: string, pattern: string): boolean {
  let source = '';
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '*') source += '.*';
    else if (ch === '?') source += '.';
    else if (ch === '[') {
      const end = pattern.indexOf(']', i + 2);
      if (end < 0) source += '\\[';
      else {
        let set = pattern.slice(i + 1, end).replace(/\\/g, '\\\\');
        if (set.startsWith('!')) set = `^${set.slice(1)}`;
        source += `[${set}]`;
        i = end;
      }
    } else source += ch.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's').test(name);
}
