/**
 * End-to-end: what a person running a sync sees on stderr, against the simulator at 200 ms an answer. On a
 * terminal (a pseudo-terminal made by util-linux `script`): the block redrawn in place with a moving ETA,
 * then the summary. With stderr piped: plain INFO progress lines and the summary, no control codes.
 */
import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startSimulator, STREAM_NAMES, type Simulator } from '../../src/simulator/server.js';
import { runTap, TAP_BIN, tempJson } from '../helpers/run-tap.js';

/** Runs the tap with stderr on a pseudo-terminal (stdout to a file); returns what the terminal showed. */
function onTerminal(config: string): Promise<{ code: number | null; screen: string; stdout: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-tty-'));
  const out = join(dir, 'out.jsonl');
  const command = `'${process.execPath}' '${TAP_BIN}' --config '${config}' > '${out}'`;
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['-qfec', command, '/dev/null'], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { PATH: process.env.PATH, TERM: 'xterm' },
    });
    let screen = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => (screen += chunk));
    child.on('error', reject);
    child.on('close', (code) => {
      resolve({ code, screen, stdout: readFileSync(out, 'utf8') });
    });
  });
}

/** The records count of each stream in the summary table (lines `<stream>  ok  <records> ...`). */
function summaryCounts(text: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const m of text.matchAll(/^(?:INFO )?(\w+) +(ok|skipped|failed) +(\d+) +\d+/gm)) counts[m[1]!] = Number(m[3]);
  return counts;
}

describe('progress and the run summary (end to end)', function () {
  this.timeout(120_000);
  let sim: Simulator;
  let config: string;

  before(async () => {
    sim = await startSimulator({ records: 2000, seed: 23, rpm: 0, latencyMs: 200 });
    config = tempJson('config.json', {
      api_key: sim.apiKey,
      base_url: sim.baseUrl,
      requests_per_minute: 100_000,
      page_size: 5,
      max_concurrency: 8,
    });
  });
  after(async () => sim.close());

  it('on a terminal: the block redrawn in place with a moving ETA, then a summary with every stream’s records', async () => {
    const { code, screen, stdout } = await onTerminal(config);
    expect(code, screen.slice(-2000)).to.equal(0);
    expect(stdout).to.include('"type":"RECORD"');
    const redraws = screen.split('\x1b[J').length - 1;
    expect(redraws, 'redrawn in place').to.be.greaterThan(10);
    const etas = [...screen.matchAll(/ETA (?:≥ )?(\d+m\d\ds|\d+s)/g)].map((m) => m[1]);
    expect(new Set(etas).size, `a moving ETA: ${[...new Set(etas)].join(' ')}`).to.be.greaterThan(2);
    expect(screen).to.match(/requests in the last minute \(limit 100000\/min\)/);
    expect(screen, 'METRIC lines stay off a terminal').not.to.include('METRIC:');
    const truth = sim.truth();
    const counts = summaryCounts(screen.replace(/\r/g, ''));
    for (const stream of STREAM_NAMES) expect(counts[stream], stream).to.equal(truth[stream].length);
  });

  it('piped: plain INFO progress lines, the summary and a METRIC line per stream, no control codes', async () => {
    const run = await runTap(['--config', config]);
    expect(run.code, run.stderr.slice(-2000)).to.equal(0);
    expect(run.stderr).not.to.include('\u001b[');
    const progress = run.stderrLines.filter((l) => l.startsWith('INFO progress: '));
    expect(progress.length, 'a line every 5 s').to.be.at.least(1);
    expect(progress[0]).to.match(
      /^INFO progress: \d+ records, \d+ pages \(\d+ left known\), \d+ requests in the last minute \(limit 100000\/min\), 0 retries, 0 × 429, ETA/,
    );
    const truth = sim.truth();
    const counts = summaryCounts(run.stderr);
    for (const stream of STREAM_NAMES) expect(counts[stream], stream).to.equal(truth[stream].length);
    // One METRIC per fact: a record_count per stream, its value the summary's count, its tags the rest of the ledger.
    const metrics = run.stderrLines
      .filter((l) => l.startsWith('INFO METRIC: ') && l.includes('"record_count"'))
      .map(
        (l) => JSON.parse(l.slice('INFO METRIC: '.length)) as { value: number; tags: { stream: string; status: string; pages: number } },
      );
    expect(metrics.map((m) => m.tags.stream).sort()).to.deep.equal([...STREAM_NAMES].sort());
    for (const m of metrics) {
      expect(m.value, m.tags.stream).to.equal(truth[m.tags.stream as keyof typeof truth].length);
      expect(m.tags.status, m.tags.stream).to.equal('synced');
      expect(m.tags.pages, m.tags.stream).to.be.greaterThan(0);
    }
    expect(run.stderr).not.to.include('"stream_summary"');
  });

  it('marks a failed and a skipped stream with the reason, and stays quiet with progress off or at WARNING', async () => {
    const broken = await startSimulator({ records: 600, seed: 24, rpm: 0, missingEndpoints: ['leads'] });
    try {
      const limited = tempJson('c.json', { api_key: broken.limitedApiKey, base_url: broken.baseUrl, requests_per_minute: 100_000 });
      const run = await runTap(['--config', limited]);
      expect(run.code).to.equal(1);
      expect(run.stderr).to.match(/^INFO leads +failed +0/m);
      expect(run.stderr).to.match(/^INFO leads failed: stream leads, GET \/leads page 1: HTTP 404/m);
      expect(run.stderr).to.match(/^INFO line_items skipped: HTTP 401 on \/line_items \(this stream needs Global Admin\)/m);
      const quiet = await runTap([
        '--config',
        tempJson('c.json', { api_key: broken.apiKey, base_url: broken.baseUrl, progress: false, log_level: 'WARNING' }),
      ]);
      expect(quiet.stderr).not.to.match(/progress:|^INFO/m);
    } finally {
      await broken.close();
    }
  });
});
