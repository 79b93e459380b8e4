import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';

export const TAP_BIN = join(ROOT, 'dist', 'src', 'cli.js');

export interface SingerMessage {
  type: string;
  stream?: string;
  record?: Record<string, unknown>;
  schema?: Record<string, unknown>;
  key_properties?: string[];
  value?: unknown;
  time_extracted?: string;
  [key: string]: unknown;
}

export interface TapRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  messages: SingerMessage[];
  stderrLines: string[];
}

export interface TapRunOptions {
  env?: NodeJS.ProcessEnv;
  /** Called with each stdout line as it arrives; may kill the child. */
  onLine?: (line: string, child: import('node:child_process').ChildProcess) => void;
  /** Called once the child is started (to watch it from outside). */
  onSpawn?: (child: import('node:child_process').ChildProcess) => void;
  timeoutMs?: number;
}

/** Writes JSON to a fresh temporary file and returns its path. */
export function tempJson(name: string, value: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'tap-crm-test-'));
  const path = join(dir, name);
  writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
  return path;
}

/** Runs the built tap (`npm run build` first; `npm test` does it) as a child process. */
export function runTap(args: string[], options: TapRunOptions = {}): Promise<TapRun> {
  if (!existsSync(TAP_BIN)) throw new Error(`${TAP_BIN} is missing: run \`npm run build\` first`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [TAP_BIN, ...args], {
      env: { PATH: process.env.PATH, ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    options.onSpawn?.(child);
    let stdout = '';
    let stderr = '';
    let partial = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
      if (!options.onLine) return;
      partial += chunk;
      const lines = partial.split('\n');
      partial = lines.pop()!;
      for (const line of lines) options.onLine(line, child);
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`tap-crm ${args.join(' ')} did not finish within ${options.timeoutMs ?? 60_000} ms\n${stderr.slice(-2000)}`));
    }, options.timeoutMs ?? 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      // A message is a whole line: a tap killed mid-write (SIGKILL) leaves a last line cut short, which a
      // target never reads as a message either.
      const messages = stdout
        .split('\n')
        .slice(0, -1)
        .filter((l) => l.startsWith('{"type":'))
        .map((l) => JSON.parse(l) as SingerMessage);
      resolve({ code, signal, stdout, stderr, messages, stderrLines: stderr.split('\n').filter((l) => l.length > 0) });
    });
  });
}

/** Ids of the RECORD messages of each stream. */
export function idsByStream(messages: SingerMessage[]): Record<string, number[]> {
  const ids: Record<string, number[]> = {};
  for (const m of messages) if (m.type === 'RECORD') (ids[m.stream!] ??= []).push(m.record!.id as number);
  return ids;
}
