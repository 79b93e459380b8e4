/**
 * One stream's run, in named phases (as the Meltano SDK's Stream.sync reads):
 *   open    the SCHEMA of the stream and of its selected children; ACTIVATE_VERSION before a full-table
 *           stream's first sync
 *   walk    every page, records emitted in page order and the children's records after each page; walked
 *           once more when the API announced more records than the walk saw
 *   finish  the bookmark moves (never past the sync's start), ACTIVATE_VERSION ends a full-table stream, and
 *           a STATE message says so
 * and `settle`, the one place that decides what an error means: the stream skipped, failed, or the run over.
 *
 * A bookmark moves only once its stream's walk has finished: the API lists records in an undocumented
 * order (docs/api.md#ordering-and-moving-data), so a bookmark taken mid-walk could skip records on pages
 * not read yet.
 */
import type { SelectedStream } from '../protocol/catalog.js';
import { judge } from '../error-policy.js';
import { log, metric } from '../output/log.js';
import { streamSeconds } from '../output/progress.js';
import { bookmarkOf, laterOf, setBookmark } from '../protocol/state.js';
import { RECORD_RULES } from '../protocol/messages.js';
import { activateVersions, streamOutput, writeSchemas, type SyncContext, type StreamOutput, type StreamRun } from './stream-output.js';
import { walk } from './kinds/list.js';

/** Runs a stream and its selected children, each accounted for in its ledger (sync.progress). */
export async function syncStream(selected: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): Promise<void> {
  const run = prepare(selected, children, sync);
  try {
    await open(run);
    await walk(run);
    await finish(run);
  } catch (error) {
    settle(run, error);
  } finally {
    report(run);
  }
}

function prepare(selected: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): StreamRun {
  const { def } = selected;
  const everyParent = children.some(({ def: { kind } }) => kind.type === 'child' && kind.everyParent === true);
  const replicationKey = selected.method === 'INCREMENTAL' ? def.replicationKey : undefined;
  // With a child read under every parent, `since` still decides what the parent emits (and so which
  // parents a following child like ticket_comments is read under); the walk lists every parent (listParams).
  const since = replicationKey ? laterOf(bookmarkOf(sync.state.value, def.name), sync.settings.start_date) : undefined;
  const protocol = sync.writer.protocol.name;
  const activate = sync.settings.activate_version && RECORD_RULES[protocol].tableVersions;
  const versionOf = (stream: SelectedStream) =>
    activate && !stream.walkOnly && stream.method === 'FULL_TABLE' ? sync.startedAt.getTime() : undefined;
  const version = versionOf(selected);
  return {
    sync,
    stream: streamOutput(selected, sync, protocol, version),
    children: children.map((child) => streamOutput(child, sync, protocol, versionOf(child))),
    replicationKey,
    since,
    sinceMs: since === undefined ? undefined : Date.parse(since),
    version,
    everyParent,
  };
}

/** The outputs whose records the run writes: a parent walked only for its children writes none. */
function emittedOutputs(run: StreamRun): StreamOutput[] {
  return run.stream.selected.walkOnly ? run.children : [run.stream, ...run.children];
}

async function open(run: StreamRun): Promise<void> {
  const { writer, state } = run.sync;
  const { selected } = run.stream;
  if (selected.walkOnly) run.sync.progress.started(selected.def.name);
  for (const output of emittedOutputs(run)) {
    await writeSchemas(writer, run.sync.maps, output.selected, output.announced.schema);
    await writer.streamStatus(output.ledger.stream, 'STARTED', run.sync.clock.now());
    run.sync.progress.started(output.ledger.stream, output.announced.drifted);
  }
  // At the start only on the stream's first sync: there is no table yet to empty.
  for (const output of emittedOutputs(run))
    if (output.version !== undefined && !(output.ledger.stream in state.value.bookmarks))
      await activateVersions(run.sync, output.selected, output.version);
  if (run.since !== undefined) {
    const where = !selected.def.serverFilter
      ? ' (filtered here: the API cannot)'
      : run.everyParent
        ? ' (filtered here: a child stream needs every record listed)'
        : '';
    log.info(`stream ${selected.def.name}: records updated since ${run.since}${where}`);
  }
}

async function finish(run: StreamRun): Promise<void> {
  const { mode, writer, state, startedAt } = run.sync;
  if (!mode.checkpoints) return;
  const { name } = run.stream.selected.def;
  // A parent walked only for its children emitted nothing: its bookmark must not move.
  if (run.replicationKey && !run.stream.selected.walkOnly) {
    // Never past the sync's start: records changed during the walk are read again next time.
    const reached = run.newestMs === undefined ? undefined : new Date(Math.min(run.newestMs, startedAt.getTime())).toISOString();
    const next = laterOf(run.since, reached);
    if (next !== undefined) setBookmark(state, name, run.replicationKey, next);
  }
  for (const output of emittedOutputs(run)) {
    const { ledger, version } = output;
    if (version === undefined) continue;
    await activateVersions(run.sync, output.selected, version);
    state.value.bookmarks[ledger.stream] = { ...state.value.bookmarks[ledger.stream], version };
  }
  await writer.state(state.value, name);
  if (run.stream.selected.walkOnly) run.sync.progress.ended(name, 'walked');
  for (const output of emittedOutputs(run)) {
    await writer.streamStatus(output.ledger.stream, 'COMPLETE', run.sync.clock.now());
    run.sync.progress.ended(output.ledger.stream, 'synced', { bookmark: bookmarkOf(state.value, output.ledger.stream) });
  }
}

/**
 * A stream's error, as the error policy judges it (error-policy.ts): the stream (and its children) is
 * skipped or fails, and the other streams go on. A closed stdout ends the run; so does an error of any
 * other kind (a bug).
 */
function settle(run: StreamRun, error: unknown): void {
  const { def } = run.stream.selected;
  if (run.sync.writer.failed) throw run.sync.writer.failed;
  const place = {
    at: 'stream',
    stream: def.name,
    path: def.path,
    permission: def.permission,
    pagesWritten: run.stream.ledger.pages,
  } as const;
  const verdict = judge(error, place);
  if (!verdict) throw error;
  const skipped = verdict.decision === 'skip-stream';
  if (skipped) log.warning(verdict.message);
  else log.error(verdict.message);
  for (const output of [run.stream, ...run.children])
    run.sync.progress.ended(output.ledger.stream, skipped ? 'skipped' : 'failed', { reason: verdict.reason });
  void incomplete(run);
}

/** STREAM_STATUS INCOMPLETE for the stream and its children (Airbyte); a failed stdout is the run's own error. */
function incomplete(run: StreamRun): Promise<void> {
  const { writer } = run.sync;
  return Promise.all(
    emittedOutputs(run).map((output) => writer.streamStatus(output.ledger.stream, 'INCOMPLETE', run.sync.clock.now())),
  ).then(
    () => undefined,
    () => undefined,
  );
}

/**
 * The stream's METRIC lines, from its ledger, once: record_count (its tags the rest of the ledger: status,
 * logical pages, requests, retries, 429s, bookmark) and sync_duration.
 */
function report(run: StreamRun): void {
  for (const { ledger } of emittedOutputs(run)) {
    const { stream, records, phase: status, pages, requests, retries, throttled, bookmark, duplicates } = ledger;
    const tags = { stream, status, pages, requests, retries, throttled, ...(bookmark ? { bookmark } : {}) };
    metric({ type: 'counter', metric: 'record_count', value: records, tags });
    metric({
      type: 'timer',
      metric: 'sync_duration',
      value: Math.round(streamSeconds(ledger, run.sync.clock.now()) * 1000) / 1000,
      tags: { stream },
    });
    if (duplicates > 0) log.info(`stream ${stream}: ${duplicates} duplicate record(s) dropped (same id seen earlier in this run)`);
  }
}
