/** What every record builder gets: its id, a seeded Gen, the record's timestamps; and the JSON types. */
import { Gen, formatTime } from './gen.js';
import { hashString, mix } from './prng.js';

export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

const START_MS = Date.UTC(2024, 0, 1);
const END_MS = Date.UTC(2025, 11, 31, 23, 59, 59);
/** Offsets some accounts render their timestamps in (minutes east of UTC). */
const OFFSETS = [-300, -480, 120, 330];

export interface BaseTimes {
  createdMs: number;
  updatedMs: number;
  /** 0 for "Z"; otherwise the record renders every timestamp at this offset. */
  offsetMinutes: number;
}

const streamHashes = new Map<string, number>();
export function streamHash(stream: string): number {
  let h = streamHashes.get(stream);
  if (h === undefined) {
    h = hashString(stream);
    streamHashes.set(stream, h);
  }
  return h;
}

/**
 * A record's original timestamps, spread over 2024-2025. Cheap (three hashes) because the store calls it
 * for every id when it filters on updated_at or lists the truth, without building the records.
 */
export function baseTimes(seed: number, stream: string, id: number): BaseTimes {
  const sh = streamHash(stream);
  const a = mix(seed, sh, id, 1);
  const b = mix(seed, sh, id, 2);
  const c = mix(seed, sh, id, 3);
  const createdMs = START_MS + Math.floor((a / 4294967296) * (END_MS - START_MS));
  // A third of the records were never edited after creation.
  const updatedMs = b % 3 === 0 ? createdMs : createdMs + Math.floor(((b >>> 2) / 1073741824) * (END_MS - createdMs));
  const offsetMinutes = c % 10 === 0 ? (OFFSETS[(c >>> 8) % OFFSETS.length] as number) : 0;
  return { createdMs, updatedMs, offsetMinutes };
}

export interface Ctx {
  seed: number;
  id: number;
  /** How many times the record was updated (mutations): what else is drawn for it is drawn again. */
  revision: number;
  g: Gen;
  createdMs: number;
  offsetMinutes: number;
  created_at: string;
  updated_at: string;
  /** Renders another timestamp of the record in the record's own offset. */
  ts(ms: number): string;
}

export function makeCtx(
  seed: number,
  stream: string,
  id: number,
  revision: number,
  updatedAtOverride?: string,
  createdAtOverride?: string,
): Ctx {
  const t = baseTimes(seed, stream, id);
  const createdMs = createdAtOverride !== undefined ? Date.parse(createdAtOverride) : t.createdMs;
  const ts = (ms: number): string => formatTime(ms, t.offsetMinutes);
  return {
    seed,
    id,
    revision,
    g: new Gen(mix(seed, streamHash(stream), id, 0x5eed + revision)),
    createdMs,
    offsetMinutes: t.offsetMinutes,
    created_at: createdAtOverride ?? ts(t.createdMs),
    updated_at: updatedAtOverride ?? ts(t.updatedMs),
    ts,
  };
}

/** About 1 record in 20 carries a member that no schema lists, as the API adds them over time. */
export function withUnlistedMember(g: Gen, rec: JsonObject): JsonObject {
  if (!g.chance(0.05)) return rec;
  switch (g.int(3)) {
    case 0:
      rec['extra_rating'] = g.between(1, 5);
      break;
    case 1:
      rec['extra_legacy_code'] = `L-${g.digits(5)}`;
      break;
    default:
      rec['extra_flags'] = { audited: g.chance(0.5), region: g.pick(['north', 'sud', '東']) };
  }
  return rec;
}
