/** What the benchmark scenarios share: the simulator and the tap as child processes, and their measures. */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { ROOT } from '../src/paths.js';
import type { SimulatorStats } from '../src/simulator/server.js';
import { discover } from '../src/protocol/catalog.js';
import { arrayKeyOf, STREAMS } from '../src/streams.js';

const FIRST_FOURTEEN = new Set([
  'appointment_types',
  'appointments',
  'customer_assets',
  'contacts',
  'contracts',
  'customers',
  'estimates',
  'invoices',
  'items',
  'line_items',
  'leads',
  'payments',
  'products',
  'tickets',
]);

export const TAP = join(ROOT, 'dist', 'src', 'cli.js');
const SIMULATOR = join(ROOT, 'dist', 'src', 'simulator', 'cli.js');
const FLOOR = join(ROOT, 'dist', 'bench', 'floor.js');
const PEER_PYTHON = join(ROOT, '.venv', 'peer-singer-sdk', 'bin', 'python');
const PEER = join(ROOT, 'bench', 'peers', 'tap_crm_sdk.py');
const AIRBYTE_PYTHON = join(ROOT, '.venv', 'peer-airbyte', 'bin', 'python');
const AIRBYTE = join(ROOT, 'bench', 'peers', 'airbyte');

export interface SimulatorProcess {
  baseUrl: string;
  apiKey: string;
  stats(): Promise<SimulatorStats>;
  resetStats(): Promise<void>;
  admin(path: string, body: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

/** Starts crm-simulator in a process of its own, so that serving does not share the tap's CPU time. */
export async function startSimulatorProcess(args: string[]): Promise<SimulatorProcess> {
  const child = spawn(process.execPath, [SIMULATOR, '--port', '0', '--rpm', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = await new Promise<string>((resolve, reject) => {
    let text = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      text += chunk;
      if (text.includes('\n')) resolve(text.split('\n')[0]!);
    });
    child.once('exit', (code) => {
      reject(new Error(`crm-simulator exited with ${code}`));
    });
  });
  const baseUrl = /base_url=(\S+)/.exec(line)![1]!;
  const apiKey = /api_key=(\S+)/.exec(line)![1]!;
  const origin = new URL(baseUrl).origin;
  const admin = async (path: string, body?: unknown) => {
    const response = await fetch(
      origin + path,
      body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } },
    );
    return response.json() as Promise<unknown>;
  };
  return {
    baseUrl,
    apiKey,
    admin,
    stats: () => admin('/__admin/stats') as Promise<SimulatorStats>,
    resetStats: async () => {
      await admin('/__admin/stats/reset', {});
    },
    stop: async () => {
      child.kill('SIGTERM');
      await once(child, 'exit');
    },
  };
}

export interface ProcessRun {
  ms: number;
  code: number | null;
  /** Peak resident set size of the process, MiB (VmHWM). */
  peakRssMb: number;
  stderr: string;
}

/**
 * Runs a script, its stdout to /dev/null or to `consume`; measures wall time and peak RSS. `asBin` runs
 * it as an executable (the tap's bin, with the node flags of its shebang), else with this node.
 */
export function runNode(script: string, args: string[], consume?: (stdout: Readable) => void, asBin = false): Promise<ProcessRun> {
  return asBin ? runProcess(script, args, consume) : runProcess(process.execPath, [script, ...args], consume);
}

async function runProcess(
  command: string,
  argv: string[],
  consume?: (stdout: Readable) => void,
  env?: NodeJS.ProcessEnv,
): Promise<ProcessRun> {
  const started = performance.now();
  const child = spawn(command, argv, { stdio: ['ignore', consume ? 'pipe' : 'ignore', 'pipe'], env });
  if (consume) consume(child.stdout!);
  let stderr = '';
  child.stderr!.setEncoding('utf8').on('data', (chunk: string) => (stderr = (stderr + chunk).slice(-20_000)));
  let peakKb = 0;
  const poll = setInterval(() => (peakKb = Math.max(peakKb, readPeakKb(child))), 20);
  const [code] = (await once(child, 'exit')) as [number | null];
  clearInterval(poll);
  return { ms: performance.now() - started, code, peakRssMb: peakKb / 1024, stderr };
}

function readPeakKb(child: ChildProcess): number {
  try {
    const status = readFileSync(`/proc/${child.pid}/status`, 'utf8');
    return Number(/VmHWM:\s+(\d+) kB/.exec(status)?.[1] ?? 0);
  } catch {
    return 0; // exited between two polls
  }
}

export function tapConfig(sim: SimulatorProcess, settings: Record<string, unknown>): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-bench-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify({ api_key: sim.apiKey, base_url: sim.baseUrl, requests_per_minute: 10_000_000, ...settings }));
  return file;
}

export function runTap(configFile: string, extraArgs: string[] = [], consume?: (stdout: Readable) => void): Promise<ProcessRun> {
  return runNode(TAP, ['--config', configFile, ...extraArgs], consume, true).then((run) => {
    if (run.code !== 0) throw new Error(`tap-crm exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    return run;
  });
}

export function runFloor(sim: SimulatorProcess, perPage: number | undefined, concurrency: number): Promise<ProcessRun> {
  return runNode(FLOOR, [sim.baseUrl, sim.apiKey, String(perPage ?? 0), String(concurrency)]).then((run) => {
    if (run.code !== 0) throw new Error(`floor exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    return run;
  });
}

export function peerInstalled(): boolean {
  return existsSync(PEER_PYTHON);
}

/**
 * The streams the peers read: the fourteen of the API's first connectors (the Meltano SDK's template and
 * Airbyte's manifest know no others). tap-crm reads the same ones beside them (`PEER_CATALOG`).
 */
export const PEER_STREAMS = STREAMS.filter((s) => FIRST_FOURTEEN.has(s.name));

/** A catalog that selects the peers' streams only. */
export function peerCatalog(): string {
  const catalog = discover();
  for (const entry of catalog.streams) entry.metadata[0]!.metadata.selected = PEER_STREAMS.some((s) => s.name === entry.stream);
  return writeTemp('catalog.json', catalog);
}

/**
 * The Meltano-SDK peer (bench/peers), reading the peers' rows of the stream table of src/streams.ts, with
 * the fields its stream classes take (tap_crm_sdk.py stream_class).
 */
export function runPeer(configFile: string): Promise<ProcessRun> {
  const rows = PEER_STREAMS.map((def) => ({
    name: def.name,
    path: def.path,
    arrayKey: arrayKeyOf(def),
    wrapperKey: def.body.type === 'array' ? def.body.wrapper : undefined,
    params: def.params,
    replicationKey: def.replicationKey,
  }));
  const streams = writeTemp('streams.json', rows);
  return runProcess(PEER_PYTHON, [PEER, '--config', configFile], undefined, { ...process.env, TAP_CRM_SDK_STREAMS: streams }).then(
    (run) => {
      if (run.code !== 0) throw new Error(`the singer-sdk peer exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
      return run;
    },
  );
}

export function airbyteInstalled(): boolean {
  return existsSync(AIRBYTE_PYTHON);
}

/**
 * Airbyte's low-code connector for this API (bench/peers/airbyte: its manifest, pointed at `base_url`),
 * reading every stream in full refresh, as its manifest has it: the API's own page sizes, one page at a
 * time per stream.
 */
export function runAirbyte(sim: SimulatorProcess): Promise<ProcessRun> {
  const config = writeTemp('config.json', { api_key: sim.apiKey, base_url: sim.baseUrl });
  const args = [join(AIRBYTE, 'run_manifest.py'), 'read', '--config', config, '--catalog', join(AIRBYTE, 'catalog.json')];
  return runProcess(AIRBYTE_PYTHON, args).then((run) => {
    if (run.code !== 0) throw new Error(`the Airbyte peer exited with ${run.code}:\n${run.stderr.slice(-3000)}`);
    return run;
  });
}

/** Keeps the last STATE line of a tap's stdout. */
export function lastStateOf(stdout: Readable, into: { state?: unknown }): void {
  let tail = '';
  stdout.setEncoding('utf8').on('data', (chunk: string) => {
    const text = tail + chunk;
    const lines = text.split('\n');
    tail = lines.pop()!;
    for (let i = lines.length - 1; i >= 0; i--) {
      if (lines[i]!.startsWith('{"type":"STATE"')) {
        into.state = (JSON.parse(lines[i]!) as { value: unknown }).value;
        break;
      }
    }
  });
}

export function writeTemp(name: string, value: unknown): string {
  const file = join(mkdtempSync(join(tmpdir(), 'tap-crm-bench-')), name);
  writeFileSync(file, JSON.stringify(value));
  return file;
}
