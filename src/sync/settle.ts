/**
 * How a stream's run ends when an error stops it, as the error policy judges it (error-policy.ts): the
 * stream skipped or failed, the other streams going on. A parent's error ends the children its walk was
 * reading; a child's error ends that child alone, and its parent's walk goes on. A closed stdout ends the
 * run; so does an error of any other kind (a bug).
 */
import { judge } from '../error-policy.js';
import { parentOf } from '../graph.js';
import type { ChildRun, StreamOutput, StreamRun } from './context.js';

/** The stream's error: it and the children still reading end as the verdict says. */
export function settleRun(run: StreamRun, error: unknown): void {
  const { def } = run.stream.selected;
  const verdict = verdictOn(run, run.stream, error);
  if (verdict.decision === 'skip-stream') run.sync.log.warning(verdict.message);
  else run.sync.log.error(verdict.message);
  const outcome = verdict.decision === 'skip-stream' ? 'skipped' : 'failed';
  run.sync.progress.ended(def.name, outcome, { reason: verdict.reason });
  // A child that had nothing to read this run (idle) was done at the start: the parent's error is not its.
  const reading = run.children.filter((child) => child.ended === undefined);
  for (const child of reading) {
    child.ended = outcome;
    run.sync.progress.ended(child.output.ledger.stream, outcome, { reason: `its parent ${def.name}: ${verdict.reason}` });
  }
  void incomplete(run, [...(run.stream.selected.walkOnly ? [] : [run.stream]), ...reading.map((child) => child.output)]);
}

/** A child's error: the child ends, with no more reads; its bookmark stays where it was, so its records come next run. */
export function settleChild(run: StreamRun, child: ChildRun, error: unknown): void {
  const verdict = verdictOn(run, child.output, error);
  if (verdict.decision === 'skip-stream') run.sync.log.warning(verdict.message);
  else run.sync.log.error(verdict.message);
  child.ended = verdict.decision === 'skip-stream' ? 'skipped' : 'failed';
  run.sync.progress.ended(child.output.ledger.stream, child.ended, { reason: verdict.reason });
  void incomplete(run, [child.output]);
}

function verdictOn(run: StreamRun, output: StreamOutput, error: unknown) {
  if (run.sync.writer.failed) throw run.sync.writer.failed;
  const { def } = output.selected;
  const place = {
    at: 'stream',
    stream: def.name,
    path: def.path,
    permission: def.permission,
    pagesWritten: output.ledger.pages,
    parent: parentOf(def),
  } as const;
  const verdict = judge(error, place);
  if (!verdict) throw error;
  return verdict;
}

/** STREAM_STATUS INCOMPLETE (Airbyte); a failed stdout is the run's own error. */
function incomplete(run: StreamRun, outputs: readonly StreamOutput[]): Promise<void> {
  const { writer, clock } = run.sync;
  return Promise.all(outputs.map((output) => writer.streamStatus(output.ledger.stream, 'INCOMPLETE', clock.now()))).then(
    () => undefined,
    () => undefined,
  );
}
