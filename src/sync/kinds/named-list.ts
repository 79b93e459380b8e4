/** A named list (users): a list of [id, name] pairs whose records are read from their detail endpoint. */
import { judge } from '../../error-policy.js';
import { log } from '../../output/log.js';
import { recordGroups, type PageResult } from '../pages.js';
import { TapError } from '../../errors.js';
import {
  noteNewest,
  processBody,
  announceDrift,
  takePage,
  type NumberedPage,
  type StreamOutput,
  type StreamRun,
  count,
} from '../stream-output.js';

/**
 * A page of a list that only names its records (users: [id, name] pairs): each record the page brings is
 * read from its detail endpoint, all of the page's at once (the client bounds the requests in flight),
 * and written in the list's order. A detail the API refuses (a 4xx) is written as the list gave it,
 * with one WARNING for the stream. Returns the ids written.
 */
export async function emitDetails(
  run: StreamRun,
  page: NumberedPage,
  details: NonNullable<StreamOutput['details']>,
): Promise<(number | string)[]> {
  const { sync, stream } = run;
  const { out, emitted, lines } = takePage(sync, stream, page);
  const listed = recordGroups(out, lines);
  const records = await Promise.all(emitted.map((id, i) => readDetail(run, id, details, listed[i]!)));
  let written = 0;
  for (const detail of records) {
    if (detail.failure !== undefined) throw new TapError(detail.failure);
    noteNewest(run, detail.newestMs);
    await announceDrift(sync, stream, detail.drifts);
    await sync.writer.lines(detail.out);
    if (detail.out.byteLength > 0) written++;
  }
  count(stream, written);
  return emitted;
}

/** One record from its detail endpoint, as RECORD lines (none when older than the bookmark); `listed` when refused. */
async function readDetail(
  run: StreamRun,
  id: number | string,
  { named, key }: NonNullable<StreamOutput['details']>,
  listed: Uint8Array,
): Promise<Pick<PageResult, 'out' | 'newestMs' | 'drifts' | 'failure'>> {
  const { sync } = run;
  const { def } = run.stream.selected;
  const path = named.detail.path.replace('{id}', encodeURIComponent(String(id)));
  const check = (body: Buffer) => processBody(sync, { key, page: 1, body, sinceMs: run.sinceMs }, `a "${named.detail.recordKey}" object`);
  try {
    return await sync.client.get(path, {}, { stream: def.name }, check);
  } catch (error) {
    const verdict = judge(error, { at: 'detail', stream: def.name, fallback: named.pairs.join(' and ') });
    if (verdict?.decision !== 'tolerate') throw error;
    if (!run.detailRefused) log.warning(verdict.message);
    run.detailRefused = true;
    return { out: listed, drifts: [] };
  }
}
