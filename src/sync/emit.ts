/**
 * A stream's pages from the page pool to stdout: cut of ids already written (first-seen.ts), widened where
 * their records drifted (announced again first), counted in the stream's ledger, written (the writer waits
 * for a slow target). Also the stream's SCHEMA and ACTIVATE_VERSION messages, through the stream maps.
 */
import type { JsonSchema, SelectedStream } from '../protocol/catalog.js';
import type { RunMaps } from '../maps/run-maps.js';
import type { Drift } from '../records/conform.js';
import { REPORT } from '../error-policy.js';
import { TapError } from '../errors.js';
import type { MessageWriter } from '../protocol/writer.js';
import type { NumberedPage, StreamOutput, StreamRun, SyncContext } from './context.js';
import { firstSeen, type PageOutput } from './first-seen.js';
import type { RunMode } from './run-mode.js';

/** Writes a page's records but those emitted before (and beyond the record limit); returns the ids written. */
export async function emitPage(sync: SyncContext, output: StreamOutput, page: NumberedPage): Promise<(number | string)[]> {
  const { out, emitted } = takePage(sync, output, page);
  await announceDrift(sync, output, page.drifts);
  await sync.writer.lines(out);
  count(output, emitted.length);
  return emitted;
}

/** Before a page is written: the stream's schema widened where its records need it, and announced again. */
export async function announceDrift(sync: SyncContext, output: StreamOutput, drifts: readonly Drift[]): Promise<void> {
  if (drifts.length === 0) return;
  const widened = output.announced.take(drifts);
  if (widened) await writeSchemas(sync.writer, sync.maps, output.selected, widened);
}

/**
 * The SCHEMA messages of a stream whose records conform to `schema`: its own, or, with stream maps, one
 * per output stream (none for a dropped one), each with the schema and key its map makes.
 */
export async function writeSchemas(
  writer: MessageWriter,
  maps: RunMaps | undefined,
  selected: SelectedStream,
  schema: JsonSchema,
): Promise<void> {
  const stream = schema === selected.schema ? selected : { ...selected, schema };
  if (!maps) return writer.schema(stream);
  for (const map of maps.outputs(selected.def, schema))
    await writer.schema(stream, { stream: map.alias, schema: map.schema, keyProperties: map.keyProperties });
}

/** ACTIVATE_VERSION for a stream, or for each of its output streams with stream maps. */
export async function activateVersions(sync: SyncContext, selected: SelectedStream, version: number): Promise<void> {
  const names = sync.maps ? sync.maps.outputs(selected.def, selected.schema).map((map) => map.alias) : [selected.def.name];
  for (const name of names) await sync.writer.activateVersion(name, version);
}

/** A page's records but those emitted before (and beyond the record limit), counted; the page's lines and ids to write. */
export function takePage(sync: SyncContext, output: StreamOutput, page: NumberedPage): PageOutput {
  // A stream map's expression failed on a record: the stream stops there, as the SDK's mapper does.
  if (page.failure !== undefined) throw new TapError(page.failure);
  const taken = firstSeen(page, output.seen, roomLeft(sync.mode, output));
  sync.progress.page(output.ledger.stream, page.number, page);
  output.ledger.duplicates += taken.duplicates;
  if (page.withoutId > 0)
    sync.log.warning(
      `stream ${output.ledger.stream}: page ${page.page} holds ${page.withoutId} element(s) without an id; skipped ` +
        `(a record without an id cannot be merged in a table): ${REPORT} with the stream name if it persists`,
    );
  return taken;
}

/** Records the stream may still write under the run's record limit (undefined: no limit). */
function roomLeft(mode: RunMode, output: StreamOutput): number | undefined {
  return mode.recordLimit === undefined ? undefined : mode.recordLimit - recordsOf(output);
}

/** Records a stream has taken: written (its ledger's), or walked for its children. */
export function recordsOf(output: StreamOutput): number {
  return output.selected.walkOnly ? output.walked : output.ledger.records;
}

/** Counts records taken: in the ledger when written, apart when only walked. */
export function count(output: StreamOutput, records: number): void {
  if (output.selected.walkOnly) output.walked += records;
  else output.ledger.records += records;
}

/** Notes the newest replication-key value a walk saw. */
export function noteNewest(run: StreamRun, newestMs: number | undefined): void {
  if (newestMs !== undefined && (run.newestMs === undefined || newestMs > run.newestMs)) run.newestMs = newestMs;
}
