/**
 * End-to-end: answers far larger than usual. Pages of 1 MB records sync whole, and an answer of 400 MB
 * that ignores per_page ends its stream with an ERROR that says what to do; the resident size of the tap
 * stays bounded by max_response_mb, not by the server.
 */
import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { startSimulator, type Simulator } from '../../src/simulator/server.js';
import { runTap, tempJson, type TapRun } from '../helpers/run-tap.js';

const MB = 1024 * 1024;

/** Runs the tap and samples its peak resident size (VmHWM, the kernel's high-water mark) until it exits. */
async function runMeasured(args: string[]): Promise<{ run: TapRun; peakMb: number }> {
  let peakKb = 0;
  let timer: NodeJS.Timeout | undefined;
  const run = await runTap(args, {
    timeoutMs: 240_000,
    onSpawn: (child) => {
      timer = setInterval(() => {
        try {
          const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid!}/status`, 'utf8'));
          if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
        } catch {
          // exited between two samples
        }
      }, 50);
    },
  });
  clearInterval(timer);
  return { run, peakMb: peakKb / 1024 };
}

function catalogOf(streams: string[]): string {
  return tempJson('catalog.json', {
    streams: streams.map((stream) => ({
      tap_stream_id: stream,
      schema: JSON.parse(readFileSync(new URL(`../../schemas/${stream}.json`, import.meta.url), 'utf8')) as unknown,
      metadata: [{ breadcrumb: [], metadata: { selected: true } }],
    })),
  });
}

describe('oversized answers (end to end)', function () {
  this.timeout(300_000);
  let sim: Simulator;
  after(async () => sim.close());

  it('syncs pages of 1 MB records whole, shrinking them under max_response_mb, at a peak RSS under 500 MB', async () => {
    sim = await startSimulator({
      records: 2000,
      seed: 4,
      rpm: 0,
      counts: { customers: 240, tickets: 120 },
      recordBytes: { customers: MB, tickets: MB },
    });
    const config = tempJson('c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const { run, peakMb } = await runMeasured(['--config', config, '--catalog', catalogOf(['customers', 'tickets', 'invoices'])]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    for (const stream of ['customers', 'tickets', 'invoices'] as const) {
      const ids = new Set(run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record!.id));
      expect(ids.size, stream).to.equal(sim.truth()[stream].length);
    }
    const customer = run.messages.find((m) => m.type === 'RECORD' && m.stream === 'customers')!;
    expect((customer.record!.padding as string).length).to.be.greaterThan(0.9 * MB);
    expect(run.stderrLines.some((l) => /^WARNING stream customers, GET \/customers page \d+: an answer over 16 MiB/.test(l))).to.equal(
      true,
    );
    console.log(`      peak RSS ${peakMb.toFixed(0)} MB`);
    // Measured 290-300 MB: once its pages shrank, the walk hands over each smaller page (ten records, 10
    // MB here) as it arrives and reads no page ahead (it held a logical page's ten together: 500-550 MB).
    expect(peakMb).to.be.below(500);
    await sim.close();
  });

  it('ends the stream of a 400 MB answer that ignores per_page with an ERROR naming stream, page, size, cap and setting; the others complete', async () => {
    sim = await startSimulator({
      records: 2000,
      seed: 4,
      rpm: 0,
      counts: { customers: 400 },
      recordBytes: { customers: MB },
      pageSizes: { customers: 400 },
      perPage: { customers: 'ignore' },
      cacheBytes: 0,
    });
    const config = tempJson('c.json', { api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 100_000 });
    const { run, peakMb } = await runMeasured(['--config', config, '--catalog', catalogOf(['customers', 'invoices', 'contacts'])]);
    expect(run.code).to.equal(1);
    const errors = run.stderrLines.filter((l) => l.startsWith('ERROR'));
    expect(errors).to.have.length(1);
    expect(errors[0]).to.match(
      /^ERROR stream customers, GET \/customers page 1: an answer over 16 MiB at per_page 10 \(max_response_mb 16\), cut off: .*raise max_response_mb/,
    );
    for (const stream of ['invoices', 'contacts'] as const) {
      const ids = new Set(run.messages.filter((m) => m.type === 'RECORD' && m.stream === stream).map((m) => m.record!.id));
      expect(ids.size, stream).to.equal(sim.truth()[stream].length);
    }
    expect(run.messages.filter((m) => m.type === 'RECORD' && m.stream === 'customers')).to.have.length(0);
    expect(run.messages.at(-1)!.type).to.equal('STATE');
    console.log(`      peak RSS ${peakMb.toFixed(0)} MB`);
    expect(peakMb).to.be.below(500);
  });
});
