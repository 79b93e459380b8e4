/**
 * What a run has done so far, stream by stream, in one ledger a stream: records written, logical pages
 * written out of the totals the API announced, duplicates dropped, requests, retries and 429s, time, how
 * it ended and the bookmark reached. The HTTP client and the sync write into it; the stream's METRIC
 * lines (stream-run.ts), the display (progress-display.ts, a few times a second on a terminal, every few
 * seconds otherwise) and the run summary read it.
 */

import { systemClock, type Clock } from '../clock.js';
import { RecentEvents } from '../recent.js';

/** `walked`: a parent read only for its children's sake (not selected): its records counted nowhere. */
export type StreamPhase = 'waiting' | 'running' | 'synced' | 'walked' | 'skipped' | 'failed';

export interface StreamProgress {
  stream: string;
  phase: StreamPhase;
  /** Records written. */
  records: number;
  /** Logical pages written (walker.ts: pages of the size the API first answered with, however fetched). */
  pages: number;
  /** Records dropped because their id was written earlier in the run. */
  duplicates: number;
  /** Pages the API announced (total_pages of the first page), if it announces them. */
  totalPages?: number;
  /** Records the API announced (total_entries), if it announces them. */
  totalEntries?: number;
  requests: number;
  retries: number;
  throttled: number;
  startedMs?: number;
  endedMs?: number;
  bookmark?: string;
  /** Why the stream was skipped or failed. */
  reason?: string;
  /** Its properties whose values did not fit the schema, and what was done ("tags: widened to array or string"). */
  drifted: readonly string[];
  /**
   * A child stream: its parent, the parent records whose children it has read so far (a request each, at
   * least), and whether it reads under every parent record (a sweep) or only those that changed.
   */
  underParent?: { parent: string; read: number; every: boolean };
}

/** Seconds a stream has run (until now when it has not ended; 0 when it never started). */
export function streamSeconds(s: StreamProgress, nowMs: number): number {
  const end = s.endedMs ?? nowMs;
  return (end - (s.startedMs ?? end)) / 1000;
}

export interface RunTotals {
  records: number;
  pages: number;
  /** Pages still to read where the totals are known; `unknown` streams have not told theirs yet. */
  pagesLeft: number;
  unknown: number;
  requests: number;
  retries: number;
  throttled: number;
}

export class RunProgress {
  private readonly byStream = new Map<string, StreamProgress>();
  /** The requests of the last minute, for the rate achieved. */
  private readonly recent = new RecentEvents(60_000);
  readonly startedMs: number;

  /** `clock`: every time the ledgers note comes from it (tests pass a fake one). */
  constructor(
    streams: readonly string[] = [],
    readonly clock: Clock = systemClock,
  ) {
    this.startedMs = clock.now();
    for (const stream of streams) this.stream(stream);
  }

  stream(name: string): StreamProgress {
    let progress = this.byStream.get(name);
    if (!progress) {
      progress = {
        stream: name,
        phase: 'waiting',
        records: 0,
        pages: 0,
        duplicates: 0,
        requests: 0,
        retries: 0,
        throttled: 0,
        drifted: [],
      };
      this.byStream.set(name, progress);
    }
    return progress;
  }

  get streams(): StreamProgress[] {
    return [...this.byStream.values()];
  }

  /** A request was answered (or failed) for `stream` (other requests, GET /me, are not a stream's); 429 counts as throttled. */
  requested(stream: string, status: number): void {
    const progress = this.byStream.get(stream);
    if (!progress) return;
    progress.requests++;
    if (status === 429) progress.throttled++;
    this.recent.add(this.clock.now());
  }

  retried(stream: string): void {
    const progress = this.byStream.get(stream);
    if (progress) progress.retries++;
  }

  /** The stream started; `drifted` is its list of drifted properties, which the sync fills. */
  started(stream: string, drifted?: readonly string[]): void {
    const progress = this.stream(stream);
    progress.phase = 'running';
    if (drifted) progress.drifted = drifted;
    progress.startedMs ??= this.clock.now();
  }

  /** Logical page `number` is being written, with the totals the API announced with it (its records are counted as written). */
  page(stream: string, number: number, totals: { totalPages?: number; totalEntries?: number }): void {
    const progress = this.stream(stream);
    progress.pages = Math.max(progress.pages, number);
    if (totals.totalPages !== undefined) progress.totalPages = Math.max(progress.totalPages ?? 0, totals.totalPages);
    if (totals.totalEntries !== undefined) progress.totalEntries = totals.totalEntries;
  }

  /** A child stream has read the children of `read` records of `parent` so far, under every one of them or those that changed. */
  parentsRead(stream: string, parent: string, read: number, every: boolean): void {
    this.stream(stream).underParent = { parent, read, every };
  }

  ended(stream: string, phase: Exclude<StreamPhase, 'waiting' | 'running'>, detail: { bookmark?: string; reason?: string } = {}): void {
    const progress = this.stream(stream);
    progress.phase = phase;
    progress.endedMs = this.clock.now();
    progress.bookmark = detail.bookmark;
    progress.reason = detail.reason;
  }

  /**
   * Requests of the last minute: what the display shows against the limit (a minute too). A count, not a
   * rate extrapolated from the time elapsed: the limiter lets a whole minute's requests start at once, so
   * a run's first second can hold 180 of them, which is not 10 800 a minute. In the first minute it is the
   * requests so far.
   */
  requestsLastMinute(now = this.clock.now()): number {
    return this.recent.count(now);
  }

  /** Requests a minute achieved over the last minute, or since the start when the run is younger (at least 1 s). */
  private achievedPerMinute(now: number): number {
    const since = Math.max(this.startedMs, now - 60_000);
    const minutes = Math.max((now - since) / 60_000, 1 / 60);
    return this.recent.count(now) / minutes;
  }

  totals(): RunTotals {
    const totals: RunTotals = { records: 0, pages: 0, pagesLeft: 0, unknown: 0, requests: 0, retries: 0, throttled: 0 };
    for (const s of this.byStream.values()) {
      totals.records += s.records;
      totals.pages += s.pages;
      totals.requests += s.requests;
      totals.retries += s.retries;
      totals.throttled += s.throttled;
      const left = s.phase === 'running' ? this.pagesLeft(s) : undefined;
      if (s.phase === 'waiting' || (s.phase === 'running' && left === undefined)) totals.unknown++;
      else if (left !== undefined) totals.pagesLeft += left;
    }
    return totals;
  }

  /**
   * Requests a running stream still needs, where known: its pages left. A child reading under every parent:
   * one for each record its parent announced (total_entries) whose children it has not read yet; one
   * reading under the parents that changed: as many for each of its parent's pages left as it has asked a
   * page so far (an incremental run asks few).
   */
  private pagesLeft(s: StreamProgress): number | undefined {
    if (s.underParent) {
      const parent = this.byStream.get(s.underParent.parent);
      if (s.underParent.every)
        return parent?.totalEntries === undefined ? undefined : Math.max(0, parent.totalEntries - s.underParent.read);
      if (parent?.totalPages === undefined) return undefined;
      return Math.ceil((s.requests / Math.max(1, parent.pages)) * Math.max(0, parent.totalPages - parent.pages));
    }
    return s.totalPages === undefined ? undefined : Math.max(0, s.totalPages - s.pages);
  }

  /**
   * Seconds left: the pages left at the rate requests are allowed (the limit in force, or the rate
   * achieved when that is lower because answers are slow: a first second's burst, extrapolated, exceeds
   * the limit and so counts as the limit); undefined in the first second.
   */
  etaSeconds(allowedPerMinute: number, now = this.clock.now()): number | undefined {
    const achieved = this.achievedPerMinute(now);
    const rate = Math.min(allowedPerMinute, achieved > 0 ? achieved : allowedPerMinute);
    if (!(rate > 0) || now - this.startedMs < 1000) return undefined;
    return (this.totals().pagesLeft / rate) * 60;
  }
}
