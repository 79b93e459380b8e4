/**
 * A child stream: a list under each parent record, read after the parent's page that listed it, under the
 * parents its run reads (plan.ts): every one the page lists (a whole read), or those updated since the
 * child's own bookmark. A parent gone by the time its children are asked (a 404: deleted during the run)
 * has none: skipped with an INFO line. An error of the child's ends the child alone (settle.ts): its parent
 * and the other streams go on.
 */
import { ApiError } from '../../api/http.js';
import { childKind, followsChanges, parentOf, sweeps } from '../../graph.js';
import type { StreamDef } from '../../streams.js';
import { emitPage, recordsOf } from '../emit.js';
import { askedPageSize, readPages } from '../read-pages.js';
import { limitReached } from '../run-mode.js';
import { settleChild } from '../settle.js';
import type { ChildRun, NumberedPage, StreamRun } from '../context.js';
import type { ChildKindBehaviour } from './registry.js';

type Id = number | string;

export const CHILD: ChildKindBehaviour = {
  role: 'child',
  async readUnder(run, child, page) {
    if (child.ended !== undefined || child.reads === 'none') return;
    const { sync } = run;
    const parents = parentsOf(child, page).filter((id) => !child.parentsRead.has(id));
    try {
      // --test: one parent at a time, until the child has its record.
      const batches = sync.mode.recordLimit === undefined ? [parents] : parents.map((id) => [id]);
      for (const batch of batches) {
        if (limitReached(sync.mode, recordsOf(child.output))) return;
        for (const id of batch) child.parentsRead.add(id);
        sync.progress.parentsRead(
          child.output.ledger.stream,
          parentOf(child.output.selected.def)!,
          child.parentsRead.size,
          child.reads === 'whole',
        );
        const perParent = await Promise.all(batch.map((id) => childPages(run, child, id)));
        for (const pages of perParent) for (const childPage of pages) await emitPage(sync, child.output, childPage);
      }
    } catch (error) {
      settleChild(run, child, error);
    }
  },
  docs: (def) => ({
    replication: replication(def),
    requests: requests(def),
    notes: childKind(def)!.parentField ? [`\`${childKind(def)!.parentField!}\` set from the parent`] : [],
  }),
};

/** The parents of `page` that the child reads under: all of them (a whole read), or those updated since its `since`. */
function parentsOf(child: ChildRun, page: NumberedPage): Id[] {
  const { sinceMs } = child;
  if (child.reads === 'whole' || sinceMs === undefined || page.stamps.length !== page.ids.length) return page.ids;
  // A parent without a readable timestamp is read under: it cannot be told unchanged.
  return page.ids.filter((_, i) => !(page.stamps[i]! < sinceMs));
}

/** Every page of `child` under parent `id`; none when the parent is gone (404). */
async function childPages(run: StreamRun, child: ChildRun, id: Id): Promise<NumberedPage[]> {
  const { def } = child.output.selected;
  const params = { per_page: askedPageSize(run.sync.settings), ...def.params };
  const path = def.path.replace('{id}', encodeURIComponent(String(id)));
  const pages: NumberedPage[] = [];
  try {
    for await (const page of readPages(child.output, path, params, run.sync, { parentId: id })) {
      // The child ended (another parent's read failed): no more of its pages are asked.
      if (child.ended !== undefined) return [];
      pages.push(page);
    }
  } catch (error) {
    if (!(error instanceof ApiError && error.kind === 'not_found')) throw error;
    run.sync.log.info(`stream ${def.name}: ${parentOf(def)!} ${String(id)} is gone (GET ${path}: 404); its ${def.name} skipped`);
    return [];
  }
  return pages;
}

/** How a child is replicated, for the README. */
function replication(def: StreamDef): string {
  const parent = `\`${childKind(def)!.parent}\``;
  if (!sweeps(def)) return `incremental, under the ${parent} records that changed`;
  if (!followsChanges(def)) return `swept: under every ${parent} record at each sweep`;
  return `incremental, under the ${parent} records that changed; swept`;
}

/** What a sync asks for a child, for the README: requests a parent, under which parents, and when. */
function requests(def: StreamDef): string {
  const parent = `\`${childKind(def)!.parent}\``;
  const per =
    def.paging.type === 'single'
      ? '1'
      : def.paging.type === 'counted'
        ? '1 (more past a full page)'
        : '1 (2 where it has any; more past a full page)';
  if (!sweeps(def)) return `${per} per ${parent} record updated since the last run`;
  if (!followsChanges(def)) return `${per} per ${parent} record at each sweep (every \`sweep_interval_days\`), none between`;
  return `${per} per ${parent} record updated since the last run, and per ${parent} record at each sweep (every \`sweep_interval_days\`)`;
}
