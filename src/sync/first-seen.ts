/**
 * In the main thread, in page order: a page's records but those whose id the stream already wrote in this
 * run (the API can list a record twice: docs/api.md#ordering-and-moving-data) and those beyond the run's
 * record limit (`--test`).
 */
import type { IdSet } from '../records/idset.js';
import type { PageResult } from './page-spec.js';
import { recordLines } from './record-lines.js';

/** A page's records after `firstSeen`: what to write, and the ids written. */
export interface PageOutput {
  out: Uint8Array;
  emitted: (number | string)[];
  duplicates: number;
  /** With stream maps: the lines in `out` of each emitted record. */
  lines?: number[];
}

/**
 * Drops the records whose id the stream has already seen in this run (`seen`, which the page's ids join)
 * and any beyond `room` (`--test`): a duplicate's line is cut out of the page's output. Called for the
 * stream's pages in page order, so the first page to hold an id is the one that emits it.
 */
export function firstSeen(page: PageResult, seen: IdSet, room?: number): PageOutput {
  const emitted: (number | string)[] = [];
  const lines: number[] | undefined = page.lines ? [] : undefined;
  let duplicates = 0;
  let drop: Set<number> | undefined;
  let line = 0;
  let record = 0;
  for (let i = 0; i < page.ids.length; i++) {
    const id = page.ids[i]!;
    const fresh = seen.add(id);
    if (!fresh) duplicates++;
    if (!page.emits[i]) continue;
    // One line a record, or with stream maps as many as its maps wrote (none, one, several).
    const count = page.lines?.[record++] ?? 1;
    if (fresh && (room === undefined || emitted.length < room)) {
      emitted.push(id);
      lines?.push(count);
    } else for (let l = line; l < line + count; l++) (drop ??= new Set()).add(l);
    line += count;
  }
  return { out: drop ? withoutLines(page.out, drop) : page.out, emitted, duplicates, lines };
}

/** The lines of `out` (each ends with a newline, which JSON never holds unescaped) but those numbered in `drop`. */
function withoutLines(out: Uint8Array, drop: Set<number>): Uint8Array {
  return Buffer.concat(recordLines(out).filter((_, line) => !drop.has(line)));
}
