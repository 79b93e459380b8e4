/**
 * One run of a stream and of the children its walk drives, in named phases (as the Meltano SDK's
 * Stream.sync reads):
 *   prepare  what each reads this run (plan.ts), and its output
 *   open     the SCHEMA of the stream and of its selected children; ACTIVATE_VERSION before a versioned
 *            table's first sync
 *   walk     every page, records emitted in page order and the children's records after each page (walk.ts)
 *   finish   each bookmark moves (never past the sync's start), ACTIVATE_VERSION ends a whole read, and a
 *            STATE message says so, stream by stream
 * and `settle` (settle.ts), which decides what an error means: the stream skipped, failed, or the run over.
 * A child's error ends the child alone, inside the walk; the parent and its other children finish.
 *
 * A bookmark moves only once its stream's walk has finished: the API lists records in an undocumented
 * order (docs/api.md#ordering-and-moving-data), so a bookmark taken mid-walk could skip records on pages
 * not read yet.
 */
import { withDeletedAt, type SelectedStream } from '../protocol/catalog.js';
import { childKind, parentKeyOf } from '../graph.js';
import { streamSeconds } from '../output/progress.js';
import { bookmarkOf, laterOf, setBookmark } from '../protocol/state.js';
import { RECORD_RULES } from '../protocol/messages.js';
import { IdSet } from '../records/idset.js';
import { activateVersions, writeSchemas } from './emit.js';
import { streamOutput, streamSpec, type ChildRun, type StreamOutput, type StreamRun, type SyncContext } from './context.js';
import { findsDeletionsIn, planChild, planRoot, planWalk, type ChildPlan, type PlanInput } from './plan.js';
import { rootKindOf } from './kinds/registry.js';
import { settleRun } from './settle.js';
import { findDeletions } from './deletions.js';
import { walk } from './walk.js';

/** Runs a stream and its selected children, each accounted for in its ledger (sync.progress). */
export async function syncStream(selected: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): Promise<void> {
  const run = prepare(selected, children, sync);
  try {
    await open(run);
    if (run.walks) await walk(run);
    await finish(run);
  } catch (error) {
    settleRun(run, error);
  } finally {
    report(run);
  }
}

function prepare(asked: SelectedStream, children: readonly SelectedStream[], sync: SyncContext): StreamRun {
  const protocol = sync.writer.protocol.name;
  const input: PlanInput = {
    state: sync.state.value,
    startDate: sync.settings.start_date,
    sweepIntervalDays: sync.settings.sweep_interval_days,
    startedAt: sync.startedAt,
    versions: sync.settings.activate_version && RECORD_RULES[protocol].tableVersions,
    deletions: sync.settings.deletions,
    // Singer declares the column in the SCHEMA it sends (withDeletedAt below); Airbyte's catalog must.
    deletedAtDeclared: protocol === 'airbyte' ? RECORD_RULES.airbyte.deletedAt : undefined,
  };
  const root = planRoot(asked, input);
  const deletions = findsDeletionsIn(asked, input);
  // A catalog written before tombstones lacks their column: declared here, so that SCHEMA and records agree.
  const selected = deletions ? withDeletedAt(asked, RECORD_RULES[protocol].deletedAt) : asked;
  const plans = children.map((child) => planChild(child, input));
  const walkPlan = planWalk(selected, root, plans);
  const spec = streamSpec(selected, protocol, root.version, walkPlan.stamps, sync.maps);
  const childRun = (asked: SelectedStream, plan: ChildPlan): ChildRun => {
    const deletions = findsDeletionsIn(asked, input);
    const child = deletions ? withDeletedAt(asked, RECORD_RULES[protocol].deletedAt) : asked;
    return {
      output: streamOutput(child, sync, streamSpec(child, protocol, plan.version, false, sync.maps)),
      deletions,
      reads: plan.reads,
      sweep: plan.sweep,
      since: plan.since,
      sinceMs: plan.since === undefined ? undefined : Date.parse(plan.since),
      activates: plan.activates,
      parentsRead: new IdSet(),
    };
  };
  return {
    sync,
    stream: streamOutput(selected, sync, spec, rootKindOf(selected.def).extraSpecs(selected.def, spec)),
    children: children.map((child, i) => childRun(child, plans[i]!)),
    replicationKey: root.replicationKey,
    since: root.since,
    sinceMs: root.since === undefined ? undefined : Date.parse(root.since),
    walks: walkPlan.walks,
    walkSince: walkPlan.walkSince,
    deletions,
    sweep: root.sweep === true,
  };
}

/** The outputs whose records the run writes: a parent walked only for its children writes none. */
function emittedOutputs(run: StreamRun): StreamOutput[] {
  const children = run.children.map((child) => child.output);
  return run.stream.selected.walkOnly ? children : [run.stream, ...children];
}

/** A new table's version, before its first records: only on the stream's first sync (there is no table yet to empty). */
function firstVersion(run: StreamRun, output: StreamOutput): boolean {
  return output.version !== undefined && !(output.ledger.stream in run.sync.state.value.bookmarks);
}

async function open(run: StreamRun): Promise<void> {
  const { writer } = run.sync;
  const { selected } = run.stream;
  if (selected.walkOnly) run.sync.progress.started(selected.def.name);
  for (const output of emittedOutputs(run)) {
    await writeSchemas(writer, run.sync.maps, output.selected, output.announced.schema);
    await writer.streamStatus(output.ledger.stream, 'STARTED', run.sync.clock.now());
    run.sync.progress.started(output.ledger.stream, output.announced.drifted);
  }
  if (!selected.walkOnly && firstVersion(run, run.stream)) await activateVersions(run.sync, selected, run.stream.version!);
  for (const child of run.children)
    if (child.activates && firstVersion(run, child.output)) await activateVersions(run.sync, child.output.selected, child.output.version!);
  sayWhatIsRead(run);
  // A child with nothing to read this run is done now: its state as it was, whatever the walk meets.
  if (run.sync.mode.checkpoints)
    for (const child of run.children.filter((c) => c.reads === 'none')) {
      child.ended = 'idle';
      await completed(run, child.output);
    }
}

/** One INFO line for each member whose read is not every record: what it reads this run, and why. */
function sayWhatIsRead(run: StreamRun): void {
  const { log } = run.sync;
  const { def } = run.stream.selected;
  if (run.since !== undefined) {
    const where = !def.serverFilter
      ? ' (filtered here: the API cannot)'
      : run.sweep
        ? ` (filtered here: a whole walk finds deletions, one due every ${run.sync.settings.sweep_interval_days} day(s))`
        : run.walkSince !== run.since
          ? ` (filtered here: ${run.walkSince === undefined ? 'a child needs every record listed' : `a child needs those since ${run.walkSince}`})`
          : '';
    log.info(`stream ${def.name}: records updated since ${run.since}${where}`);
  }
  for (const child of run.children) {
    const name = child.output.ledger.stream;
    const parent = childKind(child.output.selected.def)!.parent;
    const days = run.sync.settings.sweep_interval_days;
    if (child.sweep) log.info(`stream ${name}: a sweep, under every ${parent} record (one is due every ${days} day(s))`);
    else if (child.reads === 'changed' && child.since !== undefined)
      log.info(`stream ${name}: under the ${parent} records updated since ${child.since}`);
    else if (child.reads === 'none')
      log.info(`stream ${name}: nothing to read until its next sweep (${parent} records do not say when they changed)`);
  }
}

async function finish(run: StreamRun): Promise<void> {
  const { mode, state } = run.sync;
  const { def } = run.stream.selected;
  const { name } = def;
  if (!mode.checkpoints) {
    // --test: no state, no deletions; the ledgers end (the summary and the test's last line read them).
    run.sync.progress.ended(name, run.stream.selected.walkOnly ? 'walked' : 'synced');
    for (const child of run.children) if (child.ended === undefined) run.sync.progress.ended(child.output.ledger.stream, 'synced');
    return;
  }
  if (run.stream.selected.walkOnly) run.sync.progress.ended(name, 'walked');
  else {
    // Never past the sync's start: records changed during the walk are read again next time.
    if (run.replicationKey) {
      const next = laterOf(run.since, reached(run));
      if (next !== undefined) setBookmark(state, name, run.replicationKey, next);
    }
    const whole = !run.cutShort && (def.serverFilter === undefined || run.walkSince === undefined);
    const ids = await findDeletions(run.sync, run.stream, run.deletions, whole);
    if (ids) state.value.bookmarks[name] = { ...ids, ...(run.sweep && whole ? { swept_at: run.sync.startedAt.toISOString() } : {}) };
    if (run.stream.version !== undefined && !run.cutShort) await newVersion(run, run.stream);
    await completed(run, run.stream);
  }
  for (const child of run.children) if (child.ended === undefined) await finishChild(run, child);
}

/**
 * A child's bookmark: the newest parent updated_at the walk saw (every parent up to it has been read under),
 * when the sweep began, and its table version. A child that read nothing keeps its own.
 */
async function finishChild(run: StreamRun, child: ChildRun): Promise<void> {
  const { state, startedAt } = run.sync;
  const { def } = child.output.selected;
  // A list under one parent cut off by its pages (walker.ts) makes the child's read not whole.
  const whole = !run.cutShort && !child.output.truncated;
  const version = child.activates && whole ? child.output.version : undefined;
  // ACTIVATE_VERSION first, then the bookmark in one assignment: a STATE written meanwhile (another stream's, or
  // the signal handler's) holds the old bookmark or the new one whole, never a sweep without its version.
  if (version !== undefined) await activateVersions(run.sync, child.output.selected, version);
  // Under every parent (a sweep, a first read): every id the child holds was listed.
  const listedAll = whole && (child.reads === 'whole' || child.since === undefined);
  const ids = await findDeletions(run.sync, child.output, child.deletions, listedAll);
  const key = parentKeyOf(def);
  const next = laterOf(child.since, reached(run));
  state.value.bookmarks[def.name] = {
    ...ids,
    ...(key !== undefined && next !== undefined ? { replication_key: key, replication_key_value: next } : {}),
    ...(child.sweep && whole ? { swept_at: startedAt.toISOString() } : {}),
    ...(version !== undefined ? { version } : {}),
  };
  await completed(run, child.output);
}

/** The newest replication-key value the walk saw, never past the sync's start. */
function reached(run: StreamRun): string | undefined {
  const { newestMs } = run;
  return newestMs === undefined ? undefined : new Date(Math.min(newestMs, run.sync.startedAt.getTime())).toISOString();
}

/** ACTIVATE_VERSION after a whole read, and the version in the stream's bookmark. */
async function newVersion(run: StreamRun, output: StreamOutput): Promise<void> {
  const { state } = run.sync;
  const version = output.version!;
  await activateVersions(run.sync, output.selected, version);
  state.value.bookmarks[output.ledger.stream] = { ...state.value.bookmarks[output.ledger.stream], version };
}

/** The stream's STATE (its own, in Airbyte), STREAM_STATUS COMPLETE, and its ledger ended. */
async function completed(run: StreamRun, output: StreamOutput): Promise<void> {
  const { writer, state, clock } = run.sync;
  const stream = output.ledger.stream;
  await writer.state(state.value, [stream]);
  await writer.streamStatus(stream, 'COMPLETE', clock.now());
  run.sync.progress.ended(stream, 'synced', { bookmark: bookmarkOf(state.value, stream) });
}

/**
 * The stream's METRIC lines, from its ledger, once: record_count (its tags the rest of the ledger: status,
 * logical pages, requests, retries, 429s, bookmark) and sync_duration.
 */
function report(run: StreamRun): void {
  const { log } = run.sync;
  for (const { ledger } of emittedOutputs(run)) {
    const { stream, records, phase: status, pages, requests, retries, throttled, bookmark, duplicates } = ledger;
    const tags = { stream, status, pages, requests, retries, throttled, ...(bookmark ? { bookmark } : {}) };
    log.metric({ type: 'counter', metric: 'record_count', value: records, tags });
    log.metric({
      type: 'timer',
      metric: 'sync_duration',
      value: Math.round(streamSeconds(ledger, run.sync.clock.now()) * 1000) / 1000,
      tags: { stream },
    });
    if (duplicates > 0) log.info(`stream ${stream}: ${duplicates} duplicate record(s) dropped (same id seen earlier in this run)`);
  }
}
