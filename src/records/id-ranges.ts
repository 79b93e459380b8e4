/**
 * A set of record ids as a short text, for a bookmark (the ids a stream held at its last whole walk:
 * sync/deletions.ts). Ids are non-negative integers: a number up to 2^53, the exact digits of a larger one
 * (as big-ids.ts keeps them). Sorted, they are written as runs of consecutive ids, each run as the gap from
 * the end of the one before and its length less one, in base 36: `gap` for a run of one, `gap.extra` for
 * a longer one, runs joined by commas. Ids a CRM hands out count up from 1 with holes where records were
 * deleted, so most ids cost a fraction of a byte and a scattered id two or three
 * (docs/behaviour.md#deleted-records measures it). Numbers are worked as numbers (a sort of 300,000 takes
 * milliseconds); only ids past 2^53 as bigints.
 */

/** An id as a set of them holds it: a safe integer, or the digits of a larger one; no other. */
export type RangeId = number | string;

/** An id that can be written, in its one form; undefined for any other (negative, fractional, not a number). */
export function rangeId(id: unknown): RangeId | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? id : undefined;
  if (typeof id !== 'string' || !/^\d{1,30}$/.test(id)) return undefined;
  const value = BigInt(id);
  return value <= MAX_SAFE ? Number(value) : value.toString();
}

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The text of a set of ids, each in its one form (rangeId): any order, repeats allowed. */
export function encodeIds(ids: Iterable<RangeId>): string {
  const small: number[] = [];
  const large: bigint[] = [];
  for (const id of ids) {
    if (typeof id === 'number') small.push(id);
    else large.push(BigInt(id));
  }
  // Ids come mostly in order (a walk's, a bookmark's): sorted only when they are not.
  const ordered = small.every((id, i) => i === 0 || id >= small[i - 1]!);
  const numbers = ordered ? small : Float64Array.from(small).sort();
  const runs: string[] = [];
  let previousEnd = -1;
  for (let i = 0; i < numbers.length;) {
    const start = numbers[i]!;
    let end = start;
    while (i + 1 < numbers.length && numbers[i + 1]! <= end + 1) end = numbers[++i]!;
    i++;
    runs.push(run(start - previousEnd - 1, end - start));
    previousEnd = end;
  }
  // Past 2^53, the same with bigints: each larger than every number above.
  large.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  let bigEnd = BigInt(previousEnd);
  for (let i = 0; i < large.length;) {
    const start = large[i]!;
    let end = start;
    while (i + 1 < large.length && large[i + 1]! <= end + 1n) end = large[++i]!;
    i++;
    runs.push(run(start - bigEnd - 1n, end - start));
    bigEnd = end;
  }
  return runs.join(',');
}

function run(gap: number | bigint, extra: number | bigint): string {
  return extra === 0 || extra === 0n ? gap.toString(36) : `${gap.toString(36)}.${extra.toString(36)}`;
}

/** More ids than a stream of this API holds: a text that says more is corrupt. */
const MAX_IDS = 50_000_000;

const RUN = /^([0-9a-z]{1,20})(?:\.([0-9a-z]{1,20}))?$/;

/** The ids a text holds, ascending, each in its one form; undefined when it is not such a text (edited by hand, or corrupt). */
export function decodeIds(text: string): RangeId[] | undefined {
  const ids: RangeId[] = [];
  if (text === '') return ids;
  let previousEnd = -1n;
  for (const part of text.split(',')) {
    const match = RUN.exec(part);
    if (!match) return undefined;
    const start = previousEnd + 1n + parse36(match[1]!);
    const extra = match[2] === undefined ? 0n : parse36(match[2]);
    // Runs longer than any stream holds (a corrupt text) must not fill the memory.
    if (extra + BigInt(ids.length) >= MAX_IDS) return undefined;
    const end = start + extra;
    if (end <= MAX_SAFE) for (let id = Number(start); id <= Number(end); id++) ids.push(id);
    else for (let id = start; id <= end; id++) ids.push(id <= MAX_SAFE ? Number(id) : id.toString());
    previousEnd = end;
  }
  return ids;
}

function parse36(text: string): bigint {
  if (text.length <= 10) return BigInt(parseInt(text, 36)); // 36^10 < 2^53: exact as a number
  let value = 0n;
  for (const char of text) value = value * 36n + BigInt(parseInt(char, 36));
  return value;
}
