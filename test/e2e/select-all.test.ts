/**
 * End-to-end: every stream selected, as Meltano's `*.*`, PyAirbyte's select_all_streams() and a new
 * Airbyte connection select them. Two simulators of one seed take the same changes; the run with state of
 * the default selection is the yardstick: with all 32 streams, an incremental run may cost at most 1.25
 * times its requests plus 4 per changed parent, `tickets` still asks since_updated_at, the children of every
 * changed parent come again, and a sweep, when due, reads every child whole.
 */
import { expect } from 'chai';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { childKind, childrenOf } from '../../src/graph.js';
import { discoveredCatalog } from '../helpers/catalog.js';
import { runTap, tempJson, type TapRun } from '../helpers/run-tap.js';

const SEED = 43;
const RECORDS = 3000;

type State = { bookmarks: Record<string, Record<string, unknown>> };
const lastState = (run: TapRun) => run.messages.filter((m) => m.type === 'STATE').at(-1)!.value as State;

/** The same changes on a simulator: 12 records, 8 of them parents of a list under a record. */
function change(sim: Simulator): Record<string, number[]> {
  const changed: Record<string, number[]> = {};
  const apply = (stream: StreamName, update: number, insert = 0) => {
    const r = sim.mutate({ stream, update, insert });
    changed[stream] = [...r.updated, ...r.inserted];
  };
  apply('tickets', 2, 1);
  apply('customers', 2, 1);
  apply('customer_assets', 2);
  apply('invoices', 2);
  apply('leads', 2);
  return changed;
}

describe('every stream selected (Meltano *.*, select_all_streams): what an incremental run costs (end to end)', function () {
  this.timeout(300_000);
  let defaults: Simulator;
  let all: Simulator;
  const catalogAll = () => {
    const catalog = discoveredCatalog();
    for (const s of catalog.streams) s.metadata[0]!.metadata.selected = true;
    return tempJson('catalog.json', catalog);
  };
  const configOf = (sim: Simulator) =>
    tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });

  before(async () => {
    defaults = await startSimulator({ records: RECORDS, seed: SEED, rpm: 0 });
    all = await startSimulator({ records: RECORDS, seed: SEED, rpm: 0 });
  });
  after(async () => {
    await defaults?.close();
    await all?.close();
  });

  it('costs at most 1.25 times the default selection plus 4 requests per changed parent; tickets keeps since_updated_at; a due sweep reads every child', async () => {
    const catalog = catalogAll();
    const baseline1 = await runTap(['--config', configOf(defaults)]);
    const selectAll1 = await runTap(['--config', configOf(all), '--catalog', catalog], { timeoutMs: 120_000 });
    expect(baseline1.code, baseline1.stderr).to.equal(0);
    expect(selectAll1.code, selectAll1.stderr).to.equal(0);
    const firstRequests = [defaults.stats().total, all.stats().total];
    change(defaults);
    const changed = change(all);
    defaults.resetStats();
    all.resetStats();

    const baseline2 = await runTap(['--config', configOf(defaults), '--state', tempJson('s.json', lastState(baseline1))]);
    const selectAll2 = await runTap([
      '--config',
      configOf(all),
      '--catalog',
      catalog,
      '--state',
      tempJson('s.json', lastState(selectAll1)),
    ]);
    expect(baseline2.code, baseline2.stderr).to.equal(0);
    expect(selectAll2.code, selectAll2.stderr).to.equal(0);
    const parents = ['tickets', 'customers', 'customer_assets'].reduce((n, p) => n + changed[p]!.length, 0);
    const [base, every] = [defaults.stats().total, all.stats().total];
    console.log(
      `      requests: first runs ${firstRequests.join(' / ')} (default / all selected); ` +
        `with state ${base} / ${every}, budget ${1.25 * base + 4 * parents} (${parents} changed parents)`,
    );
    expect(every).to.be.at.most(1.25 * base + 4 * parents);
    expect(all.stats().endpoints.tickets!.values.since_updated_at, 'tickets filtered by the API').to.have.length(1);
    // The children of every changed parent came again.
    for (const parent of ['tickets', 'customers', 'customer_assets'] as const)
      for (const child of childrenOf(parent)) {
        const field = childKind(child)!.parentField ?? 'ticket_id'; // comments carry the API's ticket_id
        const under = new Set(
          selectAll2.messages.filter((m) => m.type === 'RECORD' && m.stream === child.name).map((m) => m.record![field] as number),
        );
        for (const id of changed[parent]!)
          if (all.children(child.name as never, id).length > 0) expect(under.has(id), `${child.name} under ${parent} ${id}`).to.equal(true);
      }

    // A sweep, when due (the last one began a week ago), reads every child under every parent.
    const state = lastState(selectAll2);
    const weekAgo = new Date(Date.now() - 7 * 86_400_000).toISOString();
    for (const child of ['ticket_worksheet_results', 'asset_patches', 'customer_phones', 'product_serials'])
      state.bookmarks[child]!.swept_at = weekAgo;
    all.resetStats();
    const sweep = await runTap(['--config', configOf(all), '--catalog', catalog, '--state', tempJson('s.json', state)], {
      timeoutMs: 120_000,
    });
    expect(sweep.code, sweep.stderr).to.equal(0);
    const truth = all.truth();
    const stats = all.stats().endpoints;
    expect(stats.asset_patches!.requests, 'a request per asset').to.equal(truth.customer_assets.length);
    expect(stats.customer_phones!.requests, 'a request per customer').to.equal(truth.customers.length);
    expect(stats.ticket_worksheet_results!.requests, 'a request or two per ticket').to.be.at.least(truth.tickets.length);
    expect(stats.product_serials!.requests, 'a request or more per product').to.be.at.least(truth.products.length);
  });
});
