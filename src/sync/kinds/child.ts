/**
 * A child stream: a list under each parent record, read after the parent's page that listed it. A child
 * that follows its parent (ticket_comments) is read under the parents the page emitted; one read under
 * every parent (ChildList.everyParent) under every parent the page lists. A parent gone by the time its
 * children are asked (a 404: deleted during the run) has none: skipped with an INFO line.
 */
import { ApiError } from '../../api/http.js';
import { log } from '../../output/log.js';
import { parentOf } from '../../streams.js';
import { askedPageSize, readPages, emitPage, type NumberedPage, type StreamOutput, type StreamRun } from '../stream-output.js';

type Id = number | string;

/** The selected children's records under the parents of `page`: every page of each, in parent order. */
export async function syncChildren(run: StreamRun, page: NumberedPage, emitted: readonly Id[]): Promise<void> {
  for (const child of run.children) {
    const { def } = child.selected;
    const listed = def.kind.type === 'child' && def.kind.everyParent ? page.ids : emitted;
    const parents = listed.filter((id) => !child.parentsRead.has(id));
    for (const id of parents) child.parentsRead.add(id);
    run.sync.progress.parentsRead(child.ledger.stream, parentOf(def)!, child.parentsRead.size);
    const perParent = await Promise.all(parents.map((id) => childPages(run, child, id)));
    for (const pages of perParent) for (const childPage of pages) await emitPage(run.sync, child, childPage);
  }
}

/** Every page of `child` under parent `id`; none when the parent is gone (404). */
async function childPages(run: StreamRun, child: StreamOutput, id: Id): Promise<NumberedPage[]> {
  const { def } = child.selected;
  const params = { per_page: askedPageSize(run.sync.settings), ...def.params };
  const path = def.path.replace('{id}', encodeURIComponent(String(id)));
  const pages: NumberedPage[] = [];
  try {
    for await (const page of readPages(child, path, params, run.sync, { parentId: id })) pages.push(page);
  } catch (error) {
    if (!(error instanceof ApiError && error.kind === 'not_found')) throw error;
    log.info(`stream ${def.name}: ${parentOf(def)!} ${String(id)} is gone (GET ${path}: 404); its ${def.name} skipped`);
    return [];
  }
  return pages;
}
