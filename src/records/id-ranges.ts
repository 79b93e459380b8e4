/**
 * A set of record ids as a short text, for a bookmark (the ids a stream held at its last whole walk:
 * sync/deletions.ts). Ids are non-negative integers, exact past 2^53 (bigint); sorted, they are written as
 * runs of consecutive ids, each run as the gap from the end of the one before and its length less one, in
 * base 36: `gap` for a run of one, `gap.extra` for a longer one, runs joined by commas. Ids a CRM hands
 * out count up from 1 with holes where records were deleted, so most ids cost a fraction of a byte and a
 * scattered id two or three (docs/behaviour.md#deleted-records measures it).
 */

/** An id that can be written: a safe non-negative integer, or the digits of a larger one (big-ids.ts). */
export function rangeId(id: number | string): bigint | undefined {
  if (typeof id === 'number') return Number.isSafeInteger(id) && id >= 0 ? BigInt(id) : undefined;
  return /^\d{1,30}$/.test(id) ? BigInt(id) : undefined;
}

/** The text of a set of ids (any order, repeats allowed). */
export function encodeIds(ids: Iterable<bigint>): string {
  const sorted = [...new Set(ids)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  const runs: string[] = [];
  let previousEnd = -1n;
  for (let i = 0; i < sorted.length;) {
    const start = sorted[i]!;
    let end = start;
    while (i + 1 < sorted.length && sorted[i + 1] === end + 1n) end = sorted[++i]!;
    i++;
    const gap = (start - previousEnd - 1n).toString(36);
    runs.push(end === start ? gap : `${gap}.${(end - start).toString(36)}`);
    previousEnd = end;
  }
  return runs.join(',');
}

/** More ids than a stream of this API holds: a text that says more is corrupt. */
const MAX_IDS = 50_000_000n;

const RUN = /^([0-9a-z]{1,20})(?:\.([0-9a-z]{1,20}))?$/;

/** The ids a text holds, ascending; undefined when it is not such a text (a bookmark edited by hand, or corrupt). */
export function decodeIds(text: string): bigint[] | undefined {
  const ids: bigint[] = [];
  if (text === '') return ids;
  let previousEnd = -1n;
  for (const run of text.split(',')) {
    const match = RUN.exec(run);
    if (!match) return undefined;
    const start = previousEnd + 1n + parse36(match[1]!);
    const end = start + (match[2] === undefined ? 0n : parse36(match[2]));
    // Runs longer than any stream holds (a corrupt text) must not fill the memory.
    if (end - start + BigInt(ids.length) > MAX_IDS) return undefined;
    for (let id = start; id <= end; id++) ids.push(id);
    previousEnd = end;
  }
  return ids;
}

function parse36(text: string): bigint {
  let value = 0n;
  for (const char of text) value = value * 36n + BigInt(parseInt(char, 36));
  return value;
}
