/**
 * A named list (users): a list of [id, name] pairs whose records are read from their detail endpoint. A
 * detail the API refuses (a 4xx) is written as the list gave it, with one WARNING for the stream.
 */
import { judge } from '../../error-policy.js';
import type { NamedListKind, StreamDef } from '../../streams.js';
import { TapError } from '../../errors.js';
import { announceDrift, count, noteNewest, takePage } from '../emit.js';
import { processBody } from '../read-pages.js';
import { recordGroups } from '../record-lines.js';
import type { PageResult } from '../page-spec.js';
import type { NumberedPage, StreamRun } from '../context.js';
import type { RootKind } from './registry.js';

export const NAMED_LIST: RootKind = {
  role: 'root',
  extraSpecs: (def, spec) => ({ detail: { ...spec, body: { type: 'object', key: namedList(def).detail.key } } }),
  writePage: emitDetails,
  docs: (def) => ({
    requests: '2 for the list, then 1 per record',
    notes: [`each record from \`${namedList(def).detail.path}\`; one the API refuses is emitted as the list gives it`],
  }),
};

function namedList(def: StreamDef): NamedListKind {
  if (def.kind.type !== 'named-list') throw new Error(`stream ${def.name} is not a named list`);
  return def.kind;
}

/**
 * A page of a list that only names its records: each record the page brings is read from its detail
 * endpoint, all of the page's at once (the client bounds the requests in flight), and written in the list's
 * order. Returns the ids written.
 */
async function emitDetails(run: StreamRun, page: NumberedPage): Promise<(number | string)[]> {
  const { sync, stream } = run;
  const { out, emitted, lines } = takePage(sync, stream, page);
  const listed = recordGroups(out, lines);
  const records = await Promise.all(emitted.map((id, i) => readDetail(run, id, listed[i]!)));
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
  listed: Uint8Array,
): Promise<Pick<PageResult, 'out' | 'newestMs' | 'drifts' | 'failure'>> {
  const { sync } = run;
  const { def } = run.stream.selected;
  const { detail } = namedList(def);
  const path = detail.path.replace('{id}', encodeURIComponent(String(id)));
  const key = run.stream.extraKeys.detail!;
  const check = (body: Buffer) => processBody(sync, { key, page: 1, body, sinceMs: run.sinceMs }, `a "${detail.key}" object`);
  try {
    return await sync.client.get(path, {}, { stream: def.name }, check);
  } catch (error) {
    const fallback = def.body.type === 'pairs' ? def.body.fields.join(' and ') : 'the list';
    const verdict = judge(error, { at: 'detail', stream: def.name, fallback });
    if (verdict?.decision !== 'tolerate') throw error;
    if (!run.detailRefused) sync.log.warning(verdict.message);
    run.detailRefused = true;
    return { out: listed, drifts: [] };
  }
}
