/** A child stream (ticket_comments): read for each parent record, after the parent's page that wrote it. */
import { askedPageSize, readPages, emitPage, type NumberedPage, type StreamRun } from '../stream-output.js';

/** The selected children's records of the parent records just emitted: every page of each, in parent order. */
export async function syncChildren(run: StreamRun, parentIds: readonly (number | string)[]): Promise<void> {
  for (const child of run.children) {
    const { def } = child.selected;
    const params = { per_page: askedPageSize(run.sync.settings), ...def.params };
    const perParent = await Promise.all(
      parentIds.map(async (id) => {
        const pages: NumberedPage[] = [];
        for await (const page of readPages(child, def.path.replace('{id}', encodeURIComponent(String(id))), params, run.sync))
          pages.push(page);
        return pages;
      }),
    );
    for (const pages of perParent) for (const page of pages) await emitPage(run.sync, child, page);
  }
}
