/**
 * What a person running a sync sees on stderr. On a terminal: a block of a few lines redrawn in place
 * four times a second (the run's totals, the rate against the limit, retries, 429s and an ETA, then the
 * running streams); log lines print above it, METRIC lines not at all. Elsewhere (Meltano, cron, CI):
 * the same facts as one INFO line every few seconds, no control codes. At the end, in both: a summary
 * table, a line per stream.
 *
 * The ETA is the pages left at the rate requests are allowed; a stream counts once its first page told
 * its total_pages. Until every stream has, the ETA is a lower bound ("≥"), and says how many are missing.
 */
import type { Logger, StatusBlock } from './log.js';
import { streamSeconds, type RunProgress, type StreamProgress } from './progress.js';

export interface DisplayOptions {
  progress: RunProgress;
  /** The run's log: the display's INFO lines, and the lines a terminal's block stays below. */
  log: Pick<Logger, 'info' | 'flush' | 'showBelowLog'>;
  /** The request limit in force now (lower after a 429), a minute. */
  allowedPerMinute: () => number;
  /** A terminal: redraw in place; otherwise INFO lines. */
  terminal: boolean;
  /** Where a terminal's block is drawn (stderr). */
  write?: (text: string) => void;
  intervalMs?: number;
}

const TERMINAL_MS = 250;
const LINE_MS = 5_000;
/** Running streams shown on a terminal; the others are counted in one line. */
const SHOWN = 8;

/** Starts the display; the function it returns stops it (and clears a terminal's block). */
export function startDisplay(options: DisplayOptions): () => void {
  return options.terminal ? terminalDisplay(options) : lineDisplay(options);
}

function lineDisplay({ progress, log, allowedPerMinute, intervalMs = LINE_MS }: DisplayOptions): () => void {
  const timer = setInterval(() => {
    log.info(`progress: ${headline(progress, allowedPerMinute())}; ${runningStreams(progress).map(streamPart).join(', ') || 'starting'}`);
  }, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
  };
}

function terminalDisplay({
  progress,
  log,
  allowedPerMinute,
  write = (t) => process.stderr.write(t),
  intervalMs = TERMINAL_MS,
}: DisplayOptions): () => void {
  let drawn = 0;
  const shown: StatusBlock = {
    clear: () => {
      const text = drawn > 0 ? `\x1b[${drawn}F\x1b[J` : '';
      drawn = 0;
      return text;
    },
    draw: () => {
      const lines = block(progress, allowedPerMinute());
      drawn = lines.length;
      return lines.join('\n') + '\n';
    },
  };
  const redraw = () => {
    write(shown.clear() + shown.draw());
  };
  // Log lines print above the block: the log clears it, writes its lines and draws it again.
  log.showBelowLog(shown);
  redraw();
  const timer = setInterval(redraw, intervalMs);
  timer.unref();
  return () => {
    clearInterval(timer);
    log.flush();
    log.showBelowLog(undefined);
    write(shown.clear());
  };
}

/** A terminal's block: the headline, then the running streams. */
function block(progress: RunProgress, allowed: number): string[] {
  const running = runningStreams(progress);
  const shown = running.slice(0, SHOWN).map((s) => `  ${s.stream.padEnd(20)} ${streamCounts(s)}`);
  const done = progress.streams.filter((s) => s.phase !== 'waiting' && s.phase !== 'running').length;
  const waiting = progress.streams.filter((s) => s.phase === 'waiting').length;
  const more = running.length > SHOWN ? `${running.length - SHOWN} more running, ` : '';
  return [`tap-crm  ${headline(progress, allowed)}`, ...shown, `  ${more}${done} stream(s) done, ${waiting} waiting`];
}

/** Records, pages (of the totals known), requests of the last minute against the limit, retries, 429s, ETA. */
function headline(progress: RunProgress, allowed: number): string {
  const t = progress.totals();
  const eta = progress.etaSeconds(allowed);
  const etaText =
    eta === undefined
      ? 'ETA ?'
      : `ETA ${t.unknown > 0 ? '≥ ' : ''}${duration(eta)}${t.unknown > 0 ? ` (${t.unknown} stream(s) not counted yet)` : ''}`;
  return (
    `${t.records} records, ${t.pages} pages (${t.pagesLeft} left known), ` +
    `${progress.requestsLastMinute()} requests in the last minute (limit ${Math.round(allowed)}/min), ${t.retries} retries, ${t.throttled} × 429, ${etaText}`
  );
}

function runningStreams(progress: RunProgress): StreamProgress[] {
  return progress.streams.filter((s) => s.phase === 'running');
}

function streamPart(s: StreamProgress): string {
  return `${s.stream} ${streamCounts(s)}`;
}

function streamCounts(s: StreamProgress): string {
  const records = s.totalEntries === undefined ? `${s.records} records` : `${s.records}/${s.totalEntries} records`;
  return `${records}, page ${s.pages}/${s.totalPages ?? '?'}`;
}

function duration(seconds: number): string {
  const s = Math.round(seconds);
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`;
}

/**
 * The run summary: a line per stream and a total line, columns aligned, then the reason of each stream
 * that was skipped or failed.
 */
export function summaryTable(progress: RunProgress, nowMs = progress.clock.now()): string[] {
  const header = ['stream', 'status', 'records', 'pages', 'requests', 'retries', '429s', 'seconds', 'bookmark'];
  const rows = progress.streams.map((s) => [
    s.stream,
    s.phase === 'synced' ? 'ok' : s.phase,
    String(s.records),
    String(s.pages),
    String(s.requests),
    String(s.retries),
    String(s.throttled),
    streamSeconds(s, nowMs).toFixed(1),
    s.bookmark ?? '',
  ]);
  const t = progress.totals();
  const total = [
    'total',
    '',
    String(t.records),
    String(t.pages),
    String(t.requests),
    String(t.retries),
    String(t.throttled),
    ((nowMs - progress.startedMs) / 1000).toFixed(1),
    '',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...[...rows, total].map((r) => r[i]!.length)));
  const format = (row: string[]) =>
    row
      .map((cell, i) => (i <= 1 || i === 8 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!)))
      .join('  ')
      .trimEnd();
  const reasons = progress.streams.filter((s) => s.reason).map((s) => `${s.stream} ${s.phase}: ${s.reason!}`);
  const drifts = progress.streams.filter((s) => s.drifted.length > 0).map((s) => `${s.stream} drifted: ${s.drifted.join('; ')}`);
  return [format(header), ...rows.map(format), format(total), ...reasons, ...drifts];
}
