/**
 * End-to-end: records deleted on the server come out as tombstones, exactly the deleted ids, by the second
 * run after the deletion, in both protocols; at no extra request; never from a run cut short or a stream
 * the token may no longer read.
 */
import { expect } from 'chai';
import { startSimulator, type Simulator, type StreamName } from '../../src/simulator/server.js';
import { STREAMS } from '../../src/streams.js';
import { runTap, tempJson, type TapRun } from '../helpers/run-tap.js';
import { airbyte, recordsOf, statesOf, type AirbyteMessage } from '../helpers/airbyte.js';
import { selectOnly } from '../helpers/catalog.js';

/** The streams whose every incremental walk is whole (no server-side filter), selected by default. */
const UNFILTERED = STREAMS.filter((s) => s.selectedByDefault && s.replicationKey && !s.serverFilter).map((s) => s.name as StreamName);

type State = { bookmarks: Record<string, Record<string, unknown>> };

function lastState(run: TapRun): State {
  return run.messages.filter((m) => m.type === 'STATE').at(-1)!.value as State;
}

/** Tombstones by stream (Singer): the ids of the records with _sdc_deleted_at. */
function tombstones(run: TapRun): Record<string, number[]> {
  const found: Record<string, number[]> = {};
  for (const m of run.messages)
    if (m.type === 'RECORD' && (m.record as Record<string, unknown>)._sdc_deleted_at !== undefined)
      (found[m.stream!] ??= []).push((m.record as { id: number }).id);
  for (const ids of Object.values(found)) ids.sort((a, b) => a - b);
  return found;
}

/**
 * Deletes `count` records of each stream that holds 10 or more (of fewer, 2 deleted are more than the
 * deletions_max_percent a walk may miss: that case has its own test); the ids deleted, by stream.
 */
function deleteSome(sim: Simulator, streams: readonly StreamName[], count: number): Record<string, number[]> {
  const truth = sim.truth();
  const large = streams.filter((stream) => truth[stream].length >= 10);
  expect(large.length).to.be.greaterThan(10);
  return Object.fromEntries(large.map((stream) => [stream, sim.mutate({ stream, delete: count }).deleted]));
}

describe('deleted records: tombstones (end to end)', function () {
  this.timeout(300_000);
  let sim: Simulator;
  let config: string;

  beforeEach(async () => {
    sim = await startSimulator({ records: 600, seed: 31, rpm: 0 });
    config = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
  });
  afterEach(async () => sim.close());

  async function singer(state: State | undefined, extra: Record<string, unknown> = {}, key = sim.apiKey): Promise<TapRun> {
    const cfg = tempJson('config.json', { api_key: key, base_url: sim.baseUrl, requests_per_minute: 100_000, ...extra });
    const run = await runTap(['--config', cfg, ...(state ? ['--state', tempJson('state.json', state)] : [])]);
    expect(run.code, run.stderr.slice(-1500)).to.be.oneOf([0]);
    return run;
  }

  it('Singer: exactly the deleted ids, by the second run after the deletion, at no extra request', async () => {
    const first = await singer(undefined);
    expect(tombstones(first)).to.deep.equal({});
    const deleted = deleteSome(sim, UNFILTERED, 2);
    // A named list (users: ids listed, details asked one by one), of 3: one deleted.
    deleted.users = sim.mutate({ stream: 'users', delete: 1 }).deleted;
    sim.resetStats();
    const second = await singer(lastState(first));
    const secondRequests = sim.stats().total;
    // One walk that misses an id proves nothing: no tombstone yet.
    expect(tombstones(second)).to.deep.equal({});
    sim.resetStats();
    const third = await singer(lastState(second));
    const thirdRequests = sim.stats().total;
    expect(tombstones(third)).to.deep.equal(deleted);
    for (const m of third.messages.filter((m) => m.type === 'RECORD' && (m.record as Record<string, unknown>)._sdc_deleted_at))
      expect(Object.keys(m.record as object)).to.deep.equal(['id', '_sdc_deleted_at']);
    expect(third.stderr).to.match(/INFO stream leads: 2 record\(s\) deleted from the API/);
    // The same runs without deletions make as many requests.
    sim.resetStats();
    await singer(lastState(first), { deletions: false });
    expect(secondRequests).to.equal(sim.stats().total);
    sim.resetStats();
    await singer(lastState(second), { deletions: false });
    expect(thirdRequests).to.equal(sim.stats().total);
    // Once written, a tombstone is not written again.
    expect(tombstones(await singer(lastState(third)))).to.deep.equal({});
  });

  it('a run stopped part-way (SIGTERM) writes none; resumed from its last STATE, nothing is lost', async () => {
    const first = await singer(undefined);
    const deleted = {
      leads: sim.mutate({ stream: 'leads', delete: 3 }).deleted,
      customers: sim.mutate({ stream: 'customers', delete: 3 }).deleted,
    };
    const second = await singer(lastState(first));
    sim.configure({ latencyMs: 50 });
    let killed = false;
    const cfg = tempJson('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000, page_size: 10 });
    const stopped = await runTap(['--config', cfg, '--state', tempJson('state.json', lastState(second))], {
      onLine: (line, child) => {
        if (!killed && line.includes('"type":"RECORD"')) {
          killed = true;
          child.kill('SIGTERM');
        }
      },
    });
    expect(killed).to.equal(true);
    expect(stopped.stderr).to.include('interrupted by SIGTERM');
    expect(tombstones(stopped)).to.deep.equal({});
    sim.configure({ latencyMs: 0 });
    const resumed = await singer(lastState(stopped));
    expect(tombstones(resumed)).to.deep.include(deleted);
  });

  it('a stream the token may no longer read (skipped) and a list that shrinks by more than the set share write none', async () => {
    const first = await singer(undefined);
    const limited = await singer(lastState(first), {}, sim.limitedApiKey);
    const skipped = limited.stderr.match(/WARNING stream (\w+): .*permission/)?.[1];
    expect(skipped, limited.stderr.slice(-2000)).to.be.a('string');
    const again = await singer(lastState(limited), {}, sim.limitedApiKey);
    expect(tombstones(limited)).to.deep.equal({});
    expect(tombstones(again)).to.deep.equal({});
    // Leads shrinks by two thirds: a WARNING, twice, and no tombstone.
    const leads = sim.truth().leads.length;
    const gone = sim.mutate({ stream: 'leads', delete: Math.ceil((leads * 2) / 3) }).deleted;
    const second = await singer(lastState(again));
    const third = await singer(lastState(second));
    for (const run of [second, third]) {
      expect(tombstones(run).leads).to.equal(undefined);
      expect(run.stderr).to.match(new RegExp(`WARNING stream leads: the walk did not list ${gone.length} of the ${leads} records`));
    }
    // The user who knows they were deleted lets them through.
    const through = await singer(lastState(third), { deletions_max_percent: 100 });
    expect(tombstones(through).leads).to.deep.equal(gone);
  });

  it('Airbyte: _ab_cdc_deleted_at and the cursor, declared in the catalog, exactly the deleted ids by the second read', async () => {
    const discovered = await airbyte(['discover', '--config', config]);
    const streams = (discovered.messages[0]!.catalog as { streams: { name: string; json_schema: { properties: object } }[] }).streams;
    const leadsSchema = streams.find((s) => s.name === 'leads')!.json_schema.properties;
    expect(leadsSchema).to.have.property('_ab_cdc_deleted_at');
    expect(leadsSchema).to.not.have.property('_sdc_deleted_at');
    const catalog = tempJson('catalog.json', {
      streams: streams
        .filter((s) => UNFILTERED.includes(s.name as StreamName))
        .map((stream) => ({ stream, sync_mode: 'incremental', destination_sync_mode: 'append_dedup', cursor_field: ['updated_at'] })),
    });
    const read = async (messages: AirbyteMessage[]) => {
      const last = new Map(statesOf(messages).map((s) => [s.stream.stream_descriptor.name, s]));
      const run = await airbyte(['read', '--config', config, '--catalog', catalog, '--state', tempJson('s.json', [...last.values()])]);
      expect(run.run.code, run.run.stderr.slice(-1500)).to.equal(0);
      return run.messages;
    };
    const first = await read([]);
    const deleted = deleteSome(sim, UNFILTERED, 2);
    const second = await read(first);
    const third = await read(second);
    const dead = (messages: AirbyteMessage[]) => recordsOf(messages).filter((r) => r.data._ab_cdc_deleted_at !== undefined);
    expect(dead(second)).to.deep.equal([]);
    const found: Record<string, number[]> = {};
    for (const r of dead(third)) {
      (found[r.stream] ??= []).push(r.data.id as number);
      expect(r.data.updated_at).to.equal(r.data._ab_cdc_deleted_at);
    }
    for (const ids of Object.values(found)) ids.sort((a, b) => a - b);
    expect(found).to.deep.equal(deleted);
  });

  it('tickets and invoices (filtered by the API): from their whole walks on the sweep schedule only', async () => {
    const first = await singer(undefined);
    expect(lastState(first).bookmarks.tickets).to.have.property('swept_at');
    const deleted = {
      tickets: sim.mutate({ stream: 'tickets', delete: 2 }).deleted,
      invoices: sim.mutate({ stream: 'invoices', delete: 2 }).deleted,
    };
    // Between sweeps, the API filters the walk: it lists what changed only, and finds nothing gone.
    sim.resetStats();
    const between = await singer(lastState(first));
    const between2 = await singer(lastState(between));
    expect(tombstones(between)).to.deep.equal({});
    expect(tombstones(between2)).to.deep.equal({});
    expect(sim.stats().endpoints.tickets!.values.since_updated_at.length).to.be.greaterThan(0);
    // A sweep due each run (0 days): whole walks, and the tombstones by the second.
    const swept = await singer(lastState(between2), { sweep_interval_days: 0 });
    expect(swept.stderr).to.match(/stream tickets: records updated since .* \(filtered here: a whole walk finds deletions/);
    const sweptAgain = await singer(lastState(swept), { sweep_interval_days: 0 });
    expect({ ...tombstones(swept), ...tombstones(sweptAgain) }).to.deep.equal(deleted);
  });

  it('stream maps apply to tombstones; an expression that cannot evaluate on a key alone leaves its property null', async () => {
    const maps = {
      stream_maps: {
        leads: { email: "md5(record['email'] or '')", tenant: "'acme'", __filter__: "record['status'] != 'Spam'" },
        leads_copy: {
          __source__: 'leads',
          __else__: null,
          id: 'id',
          updated_at: 'updated_at',
          _sdc_deleted_at: "record.get('_sdc_deleted_at')",
        },
      },
    };
    const first = await singer(undefined, maps);
    const gone = sim.mutate({ stream: 'leads', delete: 1 }).deleted;
    const third = await singer(lastState(await singer(lastState(first), maps)), maps);
    const dead = third.messages.filter((m) => m.type === 'RECORD' && (m.record as Record<string, unknown>)._sdc_deleted_at);
    expect(dead.map((m) => [m.stream, (m.record as { id: number }).id])).to.deep.equal([
      ['leads', gone[0]],
      ['leads_copy', gone[0]],
    ]);
    expect(dead[0]!.record).to.deep.include({ email: null, tenant: 'acme' });
    expect(dead[1]!.record).to.deep.equal({
      id: gone[0],
      updated_at: null,
      _sdc_deleted_at: (dead[0]!.record as { _sdc_deleted_at: string })._sdc_deleted_at,
    });
  });

  it('a deleted parent takes its swept children with it: customers and their customer_phones, by the second sweep', async () => {
    const catalog = tempJson('catalog.json', selectOnly(['customers', 'customer_phones']));
    const cfg = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      requests_per_minute: 100_000,
      sweep_interval_days: 0,
    });
    const run = async (state: State | undefined) => {
      const result = await runTap(['--config', cfg, '--catalog', catalog, ...(state ? ['--state', tempJson('s.json', state)] : [])]);
      expect(result.code, result.stderr.slice(-1500)).to.equal(0);
      return result;
    };
    const first = await run(undefined);
    const withPhones = sim.truth().customers.filter((c) => sim.children('customer_phones', c.id).length > 0);
    const gone = withPhones.slice(0, 2).map((c) => c.id);
    const phones = gone.flatMap((id) => sim.children('customer_phones', id).map((p) => p.id as number)).sort((a, b) => a - b);
    sim.mutate({ stream: 'customers', delete: gone });
    const second = await run(lastState(first));
    const third = await run(lastState(second));
    expect(tombstones(second)).to.deep.equal({});
    expect(tombstones(third)).to.deep.equal({ customers: gone, customer_phones: phones });
  });
});
