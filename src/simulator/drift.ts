/**
 * Type drift, as real accounts send it (docs/api.md#types-are-not-what-the-examples-show): on a share of
 * records, chosen by seed, one documented value arrives with another JSON type. Each kind below is one that
 * clients have met: an object as [] or true, a number or a boolean as text, text as an object, a decimal
 * string as a number, an empty time, and the same inside a nested object. `driftOf` says what was changed,
 * so that tests can find every drifted value in the tap's output.
 */
import { Gen } from './gen.js';
import { mix } from './prng.js';
import { streamHash, type JsonObject, type JsonValue } from './record-context.js';
import type { StreamName } from './types.js';

export type DriftKind =
  | 'object-as-array'
  | 'object-as-true'
  | 'integer-as-text'
  | 'integer-as-word'
  | 'boolean-as-text'
  | 'string-as-object'
  | 'decimal-as-number'
  | 'time-as-empty'
  | 'time-as-word'
  | 'nested-integer-as-text'
  | 'nested-string-as-number';

export interface AppliedDrift {
  kind: DriftKind;
  /** The property's path: ["customer", "id"]. */
  path: string[];
  /** The value the record had, and the one served. */
  was: JsonValue;
  served: JsonValue;
}

const KINDS: readonly DriftKind[] = [
  'object-as-array',
  'object-as-true',
  'integer-as-text',
  'integer-as-word',
  'boolean-as-text',
  'string-as-object',
  'decimal-as-number',
  'time-as-empty',
  'time-as-word',
  'nested-integer-as-text',
  'nested-string-as-number',
];

/** Properties never drifted: the key, and the replication key (bookmarks stay comparable). */
const STEADY = new Set(['id', 'updated_at']);
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/;
const DECIMAL = /^-?\d+\.\d+$/;

const isObject = (v: JsonValue | undefined): v is JsonObject => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Which values a kind drifts, and how. */
const RULES: Record<DriftKind, { nested: boolean; takes: (v: JsonValue) => boolean; to: (v: JsonValue, g: Gen) => JsonValue }> = {
  'object-as-array': { nested: false, takes: isObject, to: () => [] },
  'object-as-true': { nested: false, takes: isObject, to: () => true },
  'integer-as-text': { nested: false, takes: (v) => Number.isInteger(v), to: (v) => JSON.stringify(v) },
  'integer-as-word': { nested: false, takes: (v) => Number.isInteger(v), to: () => 'n/a' },
  'boolean-as-text': { nested: false, takes: (v) => typeof v === 'boolean', to: (v, g) => (g.int(2) ? JSON.stringify(v) : v ? '1' : '0') },
  'string-as-object': { nested: false, takes: (v) => typeof v === 'string' && v !== '' && !TIME.test(v), to: (v) => ({ text: v }) },
  'decimal-as-number': { nested: false, takes: (v) => typeof v === 'string' && DECIMAL.test(v), to: (v) => Number(v) },
  'time-as-empty': { nested: false, takes: (v) => typeof v === 'string' && TIME.test(v), to: () => '' },
  'time-as-word': { nested: false, takes: (v) => typeof v === 'string' && TIME.test(v), to: () => 'not yet' },
  'nested-integer-as-text': { nested: true, takes: (v) => Number.isInteger(v), to: (v) => JSON.stringify(v) },
  'nested-string-as-number': { nested: true, takes: (v) => typeof v === 'string' && /^\d+$/.test(v), to: (v) => Number(v) },
};

/**
 * The drift of record `id` (changed in place), or undefined when it has none: a `share` of records drift,
 * each in one value, the kind and the value chosen by seed.
 */
export function driftOf(seed: number, share: number, stream: StreamName, id: number, record: JsonObject): AppliedDrift | undefined {
  if (share <= 0) return undefined;
  const g = new Gen(mix(seed, streamHash(stream), id, 0x5eed));
  if (!g.chance(share)) return undefined;
  const first = g.int(KINDS.length);
  for (let k = 0; k < KINDS.length; k++) {
    const kind = KINDS[(first + k) % KINDS.length]!;
    const rule = RULES[kind];
    const path = candidates(record, rule.nested).find((p) => rule.takes(valueAt(record, p)!));
    if (!path) continue;
    const was = valueAt(record, path)!;
    const served = rule.to(was, g);
    setAt(record, path, served);
    return { kind, path, was, served };
  }
  return undefined;
}

/** Paths of the values a kind may drift: top-level properties, or members of top-level objects. */
function candidates(record: JsonObject, nested: boolean): string[][] {
  const top = Object.keys(record).filter((k) => !STEADY.has(k));
  if (!nested) return top.map((k) => [k]);
  return top.flatMap((k) => {
    const v = record[k];
    return isObject(v) ? Object.keys(v).map((m) => [k, m]) : [];
  });
}

function valueAt(record: JsonObject, path: readonly string[]): JsonValue | undefined {
  let at: JsonValue | undefined = record;
  for (const step of path) at = isObject(at) ? at[step] : undefined;
  return at;
}

/** Sets the value at `path`, copying the objects on the way: a record's nested objects may be shared with others. */
function setAt(record: JsonObject, path: readonly string[], value: JsonValue): void {
  let at: JsonObject = record;
  for (const step of path.slice(0, -1)) {
    const copy = structuredClone(at[step] as JsonObject);
    at[step] = copy;
    at = copy;
  }
  at[path[path.length - 1]!] = value;
}
