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
import { ROOT } from '../paths.js';
import { startSimulator } from '../simulator/server.js';
import { STREAMS } from '../streams.js';

const RECORDS = 5000;
const RATE = 600; // requests per minute, the simulator's limit and the tap's setting alike

interface StreamRow {
  stream: string;
  simulator: number;
  emitted: number;
  requests: number;
  complete: boolean;
}

async function main(): Promise<number> {
  const sim = await startSimulator({ records: RECORDS, seed: 1, rpm: RATE });
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-demo-'));
  const configFile = join(dir, 'config.json');
  const outputFile = join(dir, 'output.jsonl');
  writeFileSync(configFile, JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: RATE }, null, 2));
  console.log(`Simulator: ${sim.baseUrl} (${RECORDS} records, ${RATE} requests/min)`);
  console.log(`Running:   tap-crm --config ${configFile} > ${outputFile}`);

  const started = Date.now();
  const { code, stderr } = await runTap(configFile, outputFile);
  const seconds = (Date.now() - started) / 1000;
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

  const { emitted, messages } = await readOutput(outputFile);
  // The streams a sync without a catalog reads (ticket_comments is opt-in).
  const rows: StreamRow[] = STREAMS.filter((def) => def.selectedByDefault).map((def) => {
    const expected = truth[def.name as keyof typeof truth].map((r) => r.id);
    const got = emitted.get(def.name) ?? new Set<number>();
    const complete = expected.length === got.size && expected.every((id) => got.has(id));
    const requests = stats.endpoints[def.name as keyof typeof stats.endpoints]?.requests ?? 0;
    return { stream: def.name, simulator: expected.length, emitted: got.size, requests, complete };
  });
  printTable(rows, stats.total);
  const total = rows.reduce((n, r) => n + r.emitted, 0);
  const counts = Object.entries(messages).map(([t, n]) => `${n} ${t}`);
  console.log(`${total} records in ${seconds.toFixed(1)} s; messages: ${counts.join(', ')}; 429 answers: ${stats.rateLimited}.`);
  console.log(`Output: ${outputFile}`);
  return rows.every((r) => r.complete) ? 0 : 1;
}

/** Runs the built tap with stdout into `outputFile`. */
async function runTap(configFile: string, outputFile: string): Promise<{ code: number | null; stderr: string }> {
  const output = createWriteStream(outputFile);
  await once(output, 'open');
  const child = spawn(process.execPath, [join(ROOT, 'dist', 'src', 'cli.js'), '--config', configFile], {
    stdio: ['ignore', output, 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const [code] = (await once(child, 'close')) as [number | null];
  output.close();
  return { code, stderr };
}

/** The ids emitted per stream, and the count of each message type, in the sync's output. */
async function readOutput(file: string): Promise<{ emitted: Map<string, Set<number>>; messages: Record<string, number> }> {
  const emitted = new Map<string, Set<number>>();
  const messages: Record<string, number> = {};
  const lines = createReadStream(file).pipe(split2(JSON.parse));
  for await (const message of lines as AsyncIterable<{ type: string; stream?: string; record?: { id: number } }>) {
    messages[message.type] = (messages[message.type] ?? 0) + 1;
    if (message.type !== 'RECORD') continue;
    const ids = emitted.get(message.stream!) ?? new Set<number>();
    ids.add(message.record!.id);
    emitted.set(message.stream!, ids);
  }
  return { emitted, messages };
}

function printTable(rows: StreamRow[], totalRequests: number): void {
  const header = ['stream', 'records in simulator', 'records emitted', 'requests', 'complete'];
  const body = rows.map((r) => [r.stream, String(r.simulator), String(r.emitted), String(r.requests), r.complete ? 'yes' : 'NO']);
  const sum = (f: (r: StreamRow) => number) => String(rows.reduce((n, r) => n + f(r), 0));
  const footer = [
    'total',
    sum((r) => r.simulator),
    sum((r) => r.emitted),
    String(totalRequests),
    rows.every((r) => r.complete) ? 'yes' : 'NO',
  ];
  const widths = header.map((h, i) => Math.max(h.length, ...[...body, footer].map((row) => row[i]!.length)));
  const format = (row: string[]) => row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  console.log(['', format(header), rule, ...body.map(format), rule, format(footer), ''].join('\n'));
}

process.exitCode = await main();
