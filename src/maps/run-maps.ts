/**
 * The stream maps of one run, in the main thread: read and checked with the other settings before any
 * request (every selected stream's maps built, so that a mistake is a config error, exit 2), then asked
 * for the output streams of a source stream whenever its SCHEMA is written (at the start, and again when
 * drift widens it). The page workers build the same maps from the same settings (page-processor.ts).
 */
import type { JsonSchema, SelectedStream } from '../protocol/catalog.js';
import { UsageError } from '../errors.js';
import type { ProtocolName } from '../protocol/messages.js';
import { keyPropertiesOf, type StreamDef } from '../streams.js';
import { childKind } from '../graph.js';
import { Mapper, mapsWanted, shadowedMaps, type MapSettings } from './mapper.js';
import type { Log } from '../output/log.js';
import type { StreamMap } from './stream-map.js';

export class RunMaps {
  private readonly mapper: Mapper;
  constructor(readonly settings: MapSettings) {
    this.mapper = new Mapper(settings);
  }

  /** The maps of a source stream whose records are written (a dropped stream's `remove` map left out). */
  outputs(def: StreamDef, schema: JsonSchema): StreamMap[] {
    return this.mapper.mapsFor(def.name, schema, [...keyPropertiesOf(def)]).filter((map) => map.kind !== 'remove');
  }
}

/** The settings that maps read, as plain JSON (they go to the page workers). */
export function mapSettings(settings: MapSettings): MapSettings {
  const { stream_maps, stream_map_config, flattening_enabled, flattening_max_depth } = settings;
  return { stream_maps, stream_map_config, flattening_enabled, flattening_max_depth };
}

/**
 * The run's maps, or undefined when the settings ask for none (the sync then pays nothing for them).
 * Every selected stream's maps are built now: a mistake in them ends the run before any request.
 */
export function runMaps(
  settings: MapSettings,
  streams: readonly SelectedStream[],
  protocol: ProtocolName,
  log: Pick<Log, 'warning'>,
): RunMaps | undefined {
  if (!mapsWanted(settings)) return undefined;
  if (protocol === 'airbyte')
    throw new UsageError(
      'settings "stream_maps" and "flattening_enabled" are Singer features: an Airbyte connection maps and flattens in the ' +
        'platform (its mappings and normalization), and records must match the catalog discover announced. Remove them from ' +
        'the Airbyte config (tap-crm refuses rather than ignores them, so that a map meant to hash personal data is never skipped silently).',
    );
  const maps = new RunMaps(mapSettings(settings));
  for (const warning of shadowedMaps(settings)) log.warning(warning);
  for (const selected of streams) {
    if (selected.walkOnly) continue;
    // A child's bookmark is its parent's updated_at: a map may drop the child's own (graph.ts).
    const replicationKey = selected.method === 'INCREMENTAL' && !childKind(selected.def) ? selected.def.replicationKey : undefined;
    for (const map of maps.outputs(selected.def, selected.schema)) {
      if (replicationKey === undefined || replicationKey in (map.schema.properties ?? {})) continue;
      throw new UsageError(
        `setting "stream_maps": stream map "${map.alias}" (from stream ${selected.def.name}) removes the replication key ` +
          `"${replicationKey}", which the stream's SCHEMA names as its bookmark property: keep it (add "${replicationKey}": ` +
          `"${replicationKey}" to the map), or set ${selected.def.name} to FULL_TABLE in the catalog.`,
      );
    }
  }
  return maps;
}
