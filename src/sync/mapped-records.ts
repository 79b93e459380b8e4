/**
 * Records through stream maps, in the page workers: each record of a mapped stream becomes a RECORD line
 * per output stream of its maps (none where a filter drops it). A map that changes nothing (a rename,
 * a copy with __source__) writes the record's own bytes under the other stream's name; a map that changes
 * the record reads its JSON as the Meltano SDK does (numbers as they were written: pyjson.ts) and writes
 * the result. A stream whose maps change nothing at all has no outputs here: its records keep the
 * ordinary path (page-processor.ts), at no cost.
 */
import { TapError } from '../errors.js';
import { Mapper, type MapSettings } from '../maps/mapper.js';
import { dumps, parseJson, RECORD_JSON } from '../maps/pyjson.js';
import type { StreamMap } from '../maps/stream-map.js';
import type { PyDict } from '../maps/values.js';
import { recordFraming } from '../protocol/messages.js';
import type { Shaped } from '../records/records.js';
import { KEY_PROPERTIES } from '../streams.js';
import type { PageResult, StreamSpec } from './page-spec.js';
import type { RecordLines } from './record-lines.js';

export interface MappedOutput {
  map: StreamMap;
  prefix: string;
  prefixBytes: Buffer;
}

/** The output streams of a stream's records, or undefined when its maps write every record as it is, under its own name. */
export function mappedOutputs(spec: StreamSpec, settings: MapSettings): MappedOutput[] | undefined {
  const maps = new Mapper(settings)
    .mapsFor(spec.stream, spec.schema, [...(spec.keyProperties ?? KEY_PROPERTIES)])
    .filter((map) => map.kind !== 'remove');
  if (maps.length === 1 && maps[0]!.identity && maps[0]!.alias === spec.stream) return undefined;
  return maps.map((map) => {
    const { prefix } = recordFraming(spec.protocol, map.alias, spec.version);
    return { map, prefix, prefixBytes: Buffer.from(prefix, 'utf8') };
  });
}

/**
 * Writes a record's lines, one per output stream that keeps it; returns how many, or undefined when an
 * expression failed on it (`result.failure` then says where: the SDK stops there too).
 */
export function mapRecord(
  out: RecordLines,
  outputs: readonly MappedOutput[],
  shaped: Shaped,
  copy: readonly [number, number] | undefined,
  result: PageResult,
): number | undefined {
  let text: string | undefined;
  let parsed: PyDict | undefined;
  let lines = 0;
  const json = () => (text ??= copy ? out.text(copy[0], copy[1]) : JSON.stringify(shaped.record));
  for (const { map, prefix, prefixBytes } of outputs) {
    if (map.identity) {
      if (copy) out.copy(copy[0], copy[1], prefixBytes);
      else out.serialisedAs(prefix, json());
      lines++;
      continue;
    }
    let mapped: PyDict | undefined;
    try {
      parsed ??= parseJson(json()) as PyDict;
      mapped = map.transform(parsed, shaped.key);
    } catch (error) {
      // A record nested too deep to read as Python would (its json.loads raises RecursionError too).
      if (error instanceof RangeError)
        result.failure = `stream map "${map.alias}": record id ${String(shaped.key)} holds a value nested too deep to map (${error.message})`;
      else if (error instanceof TapError) result.failure = error.message;
      else throw error;
      return undefined;
    }
    if (!mapped) continue;
    out.serialisedAs(prefix, dumps(mapped, RECORD_JSON));
    lines++;
  }
  return lines;
}
