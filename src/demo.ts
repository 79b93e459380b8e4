/**
 * `npm run demo`: starts the bundled simulator on a free port, runs a full sync of every stream with the
 * built tap into a file, and prints per stream the records the simulator holds, the records the tap
 * emitted and the requests it made. Exits non-zero when any stream's records differ from the simulator's.
 */
import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import split2 from 'split2';
import { ROOT } from './paths.js';
import { startSimulator } from './simulator/server.js';
import { STREAMS } from './streams.js';

const RECORDS = 5000;
const RATE = 600; // requests per minute, the simulator's limit and the tap's setting alike

async function main(): Promise<number> {
  const sim = await startSimulator({ records: RECORDS, seed: 1, rpm: RATE });
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-demo-'));
  const configFile = join(dir, 'config.json');
  const outputFile = join(dir, 'output.jsonl');
  writeFileSync(configFile, JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: RATE }, null, 2));
  console.log(`Simulator: ${sim.baseUrl} (${RECORDS} records, ${RATE} requests/min)`);
  console.log(`Running:   tap-crm --config ${configFile} > ${outputFile}`);

  const started = Date.now();
  const output = createWriteStream(outputFile);
  await once(output, 'open');
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), '--config', configFile], {
    stdio: ['ignore', output, 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  const seconds = (Date.now() - started) / 1000;
  output.close();
  const stats = sim.stats();
  const truth = sim.truth();
  await sim.close();
  if (code !== 0) {
    process.stderr.write(
      stderr
        .split('\n')
        .filter((l) => !l.startsWith('INFO METRIC'))
        .join('\n'),
    );
    console.error(`The sync failed with exit code ${code}.`);
    return 1;
  }

  const emitted = new Map<string, Set<number>>();
  const messages: Record<string, number> = {};
  const lines = createReadStream(outputFile).pipe(split2(JSON.parse));
  for await (const message of lines as AsyncIterable<{ type: string; stream?: string; record?: { id: number } }>) {
    messages[message.type] = (messages[message.type] ?? 0) + 1;
    if (message.type === 'RECORD') {
      const ids = emitted.get(message.stream!) ?? new Set<number>();
      ids.add(message.record!.id);
      emitted.set(message.stream!, ids);
    }
  }

  // The streams a sync without a catalog reads (ticket_comments is opt-in).
  const rows = STREAMS.filter((def) => def.selectedByDefault).map((def) => {
    const expected = truth[def.name as keyof typeof truth].map((r) => r.id);
    const got = emitted.get(def.name) ?? new Set<number>();
    const complete = expected.length === got.size && expected.every((id) => got.has(id));
    return {
      stream: def.name,
      simulator: expected.length,
      emitted: got.size,
      requests: stats.endpoints[def.name as keyof typeof stats.endpoints]?.requests ?? 0,
      complete,
    };
  });
  const total = rows.reduce((n, r) => n + r.emitted, 0);
  const header = ['stream', 'records in simulator', 'records emitted', 'requests', 'complete'];
  const body = rows.map((r) => [r.stream, String(r.simulator), String(r.emitted), String(r.requests), r.complete ? 'yes' : 'NO']);
  body.push([
    'total',
    String(rows.reduce((n, r) => n + r.simulator, 0)),
    String(total),
    String(stats.total),
    rows.every((r) => r.complete) ? 'yes' : 'NO',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const format = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  console.log('');
  console.log(format(header));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  body.forEach((row, i) => {
    if (i === body.length - 1) console.log(widths.map((w) => '-'.repeat(w)).join('  '));
    console.log(format(row));
  });
  console.log('');
  console.log(
    `${total} records in ${seconds.toFixed(1)} s; messages: ${Object.entries(messages)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')}; ` + `429 answers: ${stats.rateLimited}.`,
  );
  console.log(`Output: ${outputFile}`);
  return rows.every((r) => r.complete) ? 0 : 1;
}

process.exitCode = await main();
