/**
 * What a run reads of a parent and of its children (src/sync/plan.ts), decided from the catalog's methods,
 * the state and the settings before any request.
 */
import { expect } from 'chai';
import { findsDeletionsIn, planChild, planRoot, planWalk, sweepDue, type PlanInput } from '../../src/sync/plan.js';
import type { SelectedStream } from '../../src/protocol/catalog.js';
import { streamByName, type ReplicationMethod } from '../../src/streams.js';
import type { TapState } from '../../src/protocol/state.js';

const startedAt = new Date('2026-06-10T12:00:00.000Z');
const DAY = 86_400_000;

function selected(name: string, method: ReplicationMethod = 'INCREMENTAL', walkOnly = false): SelectedStream {
  return { def: streamByName(name)!, schema: {}, fields: null, method, ...(walkOnly ? { walkOnly } : {}) };
}

function input(bookmarks: TapState['bookmarks'] = {}, extra: Partial<PlanInput> = {}): PlanInput {
  return { state: { bookmarks }, sweepIntervalDays: 7, startedAt, versions: false, deletions: false, ...extra };
}

const ago = (days: number) => new Date(startedAt.getTime() - days * DAY).toISOString();
const parentBookmark = (parent: string, value: string, extra = {}) => ({
  replication_key: `${parent}.updated_at`,
  replication_key_value: value,
  ...extra,
});

describe('plan: what a run reads of a parent and its children', () => {
  it('a sweep is due with none yet, or once the interval has passed, less an hour a day; 0 days: every run', () => {
    expect(sweepDue(undefined, 7, startedAt)).to.equal(true);
    expect(sweepDue('not a date', 7, startedAt)).to.equal(true);
    expect(sweepDue(ago(6.5), 7, startedAt)).to.equal(false);
    // A daily run that starts up to 7 hours earlier than the last sweep's still sweeps on the 7th day.
    expect(sweepDue(new Date(startedAt.getTime() - 7 * DAY + 6 * 3_600_000).toISOString(), 7, startedAt)).to.equal(true);
    expect(sweepDue(new Date(startedAt.getTime() - 7 * DAY + 8 * 3_600_000).toISOString(), 7, startedAt)).to.equal(false);
    expect(sweepDue(startedAt.toISOString(), 0, startedAt)).to.equal(true);
    // 0 days: every run, even one whose start leans before the last sweep (the signpost follows the server's clock).
    expect(sweepDue(new Date(startedAt.getTime() + 800).toISOString(), 0, startedAt)).to.equal(true);
  });

  it('a child that moves its parent (ticket_comments) follows the parents updated since its own bookmark or start_date; never swept', () => {
    const comments = selected('ticket_comments');
    expect(planChild(comments, input())).to.deep.include({ reads: 'changed', sweep: false, since: undefined });
    expect(planChild(comments, input({}, { startDate: '2024-01-01T00:00:00Z' }))).to.deep.include({ since: '2024-01-01T00:00:00.000Z' });
    const own = input({ ticket_comments: parentBookmark('tickets', '2025-01-01T00:00:00.000Z') }, { startDate: '2024-01-01T00:00:00Z' });
    expect(planChild(comments, own)).to.deep.include({ reads: 'changed', since: '2025-01-01T00:00:00.000Z' });
    // A bookmark on another key is not this child's: read from start_date, not from it.
    const other = input({ ticket_comments: { replication_key: 'updated_at', replication_key_value: '2025-01-01T00:00:00.000Z' } });
    expect(planChild(comments, other).since).to.equal(undefined);
  });

  it('a swept child: whole when due (a new version with activate_version), else under the changed parents with the last sweep’s version', () => {
    const worksheets = selected('ticket_worksheet_results');
    const versions = { versions: true };
    expect(planChild(worksheets, input({}, versions))).to.deep.equal({
      reads: 'whole',
      sweep: true,
      version: startedAt.getTime(),
      activates: true,
    });
    const between = input(
      { ticket_worksheet_results: parentBookmark('tickets', '2026-06-09T00:00:00.000Z', { swept_at: ago(2), version: 5 }) },
      versions,
    );
    expect(planChild(worksheets, between)).to.deep.equal({
      reads: 'changed',
      sweep: false,
      since: '2026-06-09T00:00:00.000Z',
      version: 5,
      activates: false,
    });
    // FULL_TABLE: whole every run, not a sweep.
    expect(planChild(selected('ticket_worksheet_results', 'FULL_TABLE'), between)).to.deep.include({ reads: 'whole', sweep: false });
  });

  it('product_serials, whose parent cannot say what changed, reads nothing between sweeps', () => {
    const serials = selected('product_serials');
    expect(planChild(serials, input({ product_serials: { swept_at: ago(1) } }))).to.deep.include({ reads: 'none' });
    expect(planChild(serials, input({ product_serials: { swept_at: ago(8) } }))).to.deep.include({ reads: 'whole', sweep: true });
  });

  it('the walk: from the earliest since of the parent and its children; whole when one needs every record; none when nothing reads', () => {
    const tickets = selected('tickets');
    const root = planRoot(
      tickets,
      input({ tickets: { replication_key: 'updated_at', replication_key_value: '2025-03-01T00:00:00.000Z' } }),
    );
    expect(root).to.deep.include({ replicationKey: 'updated_at', since: '2025-03-01T00:00:00.000Z' });
    const changed = { reads: 'changed', sweep: false, since: '2025-01-01T00:00:00.000Z', activates: false } as const;
    expect(planWalk(tickets, root, [changed])).to.deep.equal({ walks: true, walkSince: '2025-01-01T00:00:00.000Z', stamps: true });
    expect(planWalk(tickets, root, [changed, { reads: 'whole', sweep: true, activates: false }])).to.deep.equal({
      walks: true,
      stamps: true,
    });
    expect(planWalk(selected('tickets', 'FULL_TABLE'), {}, [changed])).to.deep.equal({ walks: true, stamps: true });
    const walkOnly = selected('products', 'INCREMENTAL', true);
    expect(planWalk(walkOnly, {}, [{ reads: 'none', sweep: false, activates: false }])).to.deep.equal({ walks: false, stamps: false });
    expect(planWalk(walkOnly, {}, [{ reads: 'whole', sweep: true, activates: false }])).to.deep.equal({ walks: true, stamps: false });
  });

  it('a stream the API filters (tickets) is walked whole on the sweep schedule to find deletions, still emitting only what changed', () => {
    const tickets = selected('tickets');
    const bookmark = (sweptAt?: string) => ({
      tickets: { replication_key: 'updated_at', replication_key_value: ago(1), ...(sweptAt ? { swept_at: sweptAt } : {}) },
    });
    const due = planRoot(tickets, input(bookmark(ago(8)), { deletions: true }));
    expect(due).to.deep.include({ sweep: true, since: ago(1) });
    expect(planWalk(tickets, due, [])).to.deep.equal({ walks: true, stamps: false });
    const between = planRoot(tickets, input(bookmark(ago(2)), { deletions: true }));
    expect(between.sweep).to.equal(false);
    expect(planWalk(tickets, between, [])).to.deep.equal({ walks: true, walkSince: ago(1), stamps: false });
    // Without deletions, or where every walk is whole (leads: no filter), no sweep.
    expect(planRoot(tickets, input(bookmark(), { deletions: false })).sweep).to.equal(false);
    expect(planRoot(selected('leads'), input({}, { deletions: true })).sweep).to.equal(false);
  });

  it('deletions are found where the setting, the stream, its method and its catalog allow, decided in one place', () => {
    const on = { deletions: true };
    expect(findsDeletionsIn(selected('leads'), input({}, on))).to.equal(true);
    expect(findsDeletionsIn(selected('leads'), input({}, { deletions: false }))).to.equal(false);
    expect(findsDeletionsIn(selected('leads', 'FULL_TABLE'), input({}, on))).to.equal(false);
    expect(findsDeletionsIn(selected('customers', 'INCREMENTAL', true), input({}, on))).to.equal(false);
    expect(findsDeletionsIn(selected('ticket_comments'), input({}, on))).to.equal(false);
    // A swept child, unless table versions replace its table at each sweep.
    expect(findsDeletionsIn(selected('customer_phones'), input({}, on))).to.equal(true);
    expect(findsDeletionsIn(selected('customer_phones'), input({}, { ...on, versions: true }))).to.equal(false);
    // Airbyte: only a catalog that declares the column; without it, no sweep of tickets for deletions either.
    const airbyte = { ...on, deletedAtDeclared: '_ab_cdc_deleted_at' };
    expect(findsDeletionsIn(selected('leads'), input({}, airbyte))).to.equal(false);
    const declared = { ...selected('leads'), schema: { properties: { _ab_cdc_deleted_at: {} } } };
    expect(findsDeletionsIn(declared, input({}, airbyte))).to.equal(true);
    expect(planRoot(selected('tickets'), input({}, airbyte)).sweep).to.equal(false);
  });
});
