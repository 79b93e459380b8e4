/**
 * End-to-end: page sizes as endpoints really treat per_page (honoured, ignored, capped) and heavy pages
 * that answer 504 Gateway Time-out, against the simulator: full and incremental syncs still equal the
 * truth, and a shrink says so once per stream.
 */
import { expect } from 'chai';
import { startSimulator, STREAM_NAMES, type Simulator, type SimulatorOptions, type StreamName } from '../../src/simulator/server.js';
import { idsByStream, runTap, tempJson, type TapRun } from '../helpers/run-tap.js';

const sorted = (ids: Iterable<number> | undefined) => [...new Set(ids ?? [])].sort((a, b) => a - b);

function lastState(run: TapRun): unknown {
  return run.messages.filter((m) => m.type === 'STATE').at(-1)!.value;
}

/** A full sync, then changes on three streams, then an incremental sync with the state: each equals the truth. */
async function fullThenIncremental(options: SimulatorOptions, check: (sim: Simulator, full: TapRun) => void): Promise<void> {
  const sim = await startSimulator({ records: 4000, rpm: 0, ...options });
  try {
    const config = tempJson('c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const full = await runTap(['--config', config]);
    expect(full.code, full.stderr.slice(-2000)).to.equal(0);
    const emitted = idsByStream(full.messages);
    const truth = sim.truth();
    for (const stream of STREAM_NAMES) {
      expect(sorted(emitted[stream]), stream).to.deep.equal(truth[stream].map((r) => r.id));
    }
    check(sim, full);

    const changed: Partial<Record<StreamName, number[]>> = {};
    for (const stream of ['customers', 'tickets', 'invoices', 'contacts'] as const) {
      const result = sim.mutate({ stream, update: 4, insert: 3 });
      changed[stream] = [...result.updated, ...result.inserted];
    }
    const next = await runTap(['--config', config, '--state', tempJson('s.json', lastState(full))]);
    expect(next.code, next.stderr.slice(-2000)).to.equal(0);
    const again = idsByStream(next.messages);
    for (const [stream, ids] of Object.entries(changed)) {
      expect(sorted(again[stream]), stream).to.include.members(ids);
    }
  } finally {
    await sim.close();
  }
}

describe('page sizes and heavy pages (end to end)', function () {
  this.timeout(120_000);

  it('asks 100 a page by default and reads every record where per_page is honoured, ignored or capped', async () => {
    await fullThenIncremental({ seed: 31, perPage: { customers: 'ignore', invoices: 'ignore', contacts: 30, tickets: 40 } }, (sim) => {
      const stats = sim.stats();
      expect(stats.endpoints.leads!.values.per_page).to.deep.equal(['100']);
      expect(stats.endpoints.customers!.values.per_page).to.deep.equal(['100']);
      const pages = (stream: StreamName, size: number) => Math.ceil(sim.truth()[stream].length / size);
      // Each page asked once: ignored (100 at 100 a page), capped (contacts 30, tickets 40), honoured (leads 100).
      expect(stats.endpoints.customers!.requests).to.equal(pages('customers', 100));
      expect(stats.endpoints.invoices!.requests).to.equal(pages('invoices', 25));
      expect(stats.endpoints.contacts!.requests).to.equal(pages('contacts', 30));
      expect(stats.endpoints.tickets!.requests).to.equal(pages('tickets', 40));
      expect(stats.endpoints.leads!.requests).to.equal(pages('leads', 100));
    });
  });

  it('shrinks the pages of a stream whose pages over 30 records answer 504, with one WARNING a stream, and reads every record', async () => {
    await fullThenIncremental({ seed: 32, heavyAbove: 30 }, (sim, full) => {
      const warnings = full.stderrLines.filter((l) => l.startsWith('WARNING'));
      const shrunk = warnings.filter((l) => / at 100 records a page; asking 50 a page for the rest of the run/.test(l));
      expect(shrunk.length, warnings.join('\n')).to.be.greaterThan(5);
      for (const line of shrunk) expect(line).to.match(/^WARNING stream \w+, GET \/\S+ page \d+: HTTP 504 at 100 records a page;/);
      const streams = shrunk.map((l) => /^WARNING stream (\w+)/.exec(l)![1]);
      expect(new Set(streams).size, 'one WARNING a stream').to.equal(streams.length);
      // The smaller sizes asked: 50, then 25 (still over 30? no: 25 answers).
      expect(sim.stats().endpoints.leads!.values.per_page).to.include.members(['100', '50', '25']);
      expect(
        full.stderrLines.filter((l) => /^INFO stream leads, GET \/leads page \d+: HTTP 504 at 50 records a page; asking 25 a page/.test(l)),
      ).to.have.length(1);
    });
  });
});
