/**
 * Helpers of the integration suite: shell pipelines with tap-crm and the Python tools on the PATH, SQL
 * against the private PostgreSQL cluster (through psql: no database driver in the project), and the
 * expected warehouse types of the stream schemas.
 */
import { execFileSync, spawn } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  realpathSync,
  rmSync,
  symlinkSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { streamSchema as discoveredSchema } from '../../src/protocol/catalog.js';
import { ROOT } from '../../src/paths.js';
import type { Simulator, StreamName } from '../../src/simulator/server.js';
import { TAP_BIN } from '../helpers/run-tap.js';
import type { IntegrationEnv } from './env.js';

export { TAP_BIN };

export interface ShResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface ShOptions {
  cwd: string;
  /** Added to a copy of this process's environment (less TAP_CRM_*, MELTANO_* and TARGET_* variables). */
  env?: Record<string, string>;
  /** Directories put first on the PATH. */
  path?: string[];
  /** The whole PATH instead: nothing of this process's, so no Node.js unless one of these has it (see nodeFreePath). */
  pathOnly?: string[];
  timeoutMs?: number;
}

const tempDirs: string[] = [];

/** A fresh temporary directory, removed by removeTempDirs() (kept when TAP_CRM_IT_KEEP=1, to look into). */
export function tempDir(label: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tap-crm-it-${label}-`));
  tempDirs.push(dir);
  return dir;
}

/** Removes the directories tempDir() made, unlinking symlinks rather than following them. */
export function removeTempDirs(): void {
  if (process.env.TAP_CRM_IT_KEEP === '1') return;
  const unlinkLinks = (dir: string): void => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stat = lstatSync(path);
      if (stat.isSymbolicLink()) unlinkSync(path);
      else if (stat.isDirectory()) unlinkLinks(path);
    }
  };
  for (const dir of tempDirs.splice(0)) {
    unlinkLinks(dir);
    rmSync(dir, { recursive: true, force: true });
  }
}

/** A temporary directory of symlinks, name → target, to put on the PATH (e.g. tap-crm → dist/src/cli.js). */
export function binDir(links: Record<string, string>): string {
  const dir = tempDir('bin');
  for (const [name, target] of Object.entries(links)) symlinkSync(target, join(dir, name));
  return dir;
}

function childEnv(options: ShOptions): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (/^(TAP_CRM_|MELTANO_|TARGET_)/.test(k)) continue;
    env[k] = v;
  }
  // The Node that runs the tests runs the tap too (its shebang is `/usr/bin/env node`).
  const path = options.pathOnly ?? [...(options.path ?? []), dirname(process.execPath), process.env.PATH ?? '/usr/bin:/bin'];
  return { ...env, ...options.env, PATH: path.join(':') };
}

let toolsDir: string | undefined;

/**
 * A PATH with no Node.js at all, for what must run without it (the Python package, Meltano's install of it):
 * `dirs`, then a temporary directory of symlinks to every command of /usr/bin and /bin except Node.js's
 * (node, nodejs, npm, npx, corepack, and anything that is the node binary or lives in a node_modules).
 * /usr/bin itself cannot be on it: the machine's node may be there.
 */
export function nodeFreePath(...dirs: string[]): string[] {
  if (!toolsDir) {
    const dir = tempDir('no-node-bin');
    const node = realpathSync(process.execPath);
    for (const from of ['/usr/bin', '/bin']) {
      if (!existsSync(from)) continue;
      for (const name of readdirSync(from)) {
        if (['node', 'nodejs', 'npm', 'npx', 'corepack'].includes(name) || existsSync(join(dir, name))) continue;
        let real: string;
        try {
          real = realpathSync(join(from, name));
        } catch {
          continue; // a dangling link
        }
        if (real === node || real.includes('/node_modules/') || /^node(js)?\d*$/.test(basename(real))) continue;
        symlinkSync(join(from, name), join(dir, name));
      }
    }
    toolsDir = dir;
  }
  return [...dirs, toolsDir];
}

/**
 * The repository as a clone of it has it (its tracked files, and new ones not ignored, as they are in the
 * working tree), copied into `dest`: no node_modules, dist/, .venv/ or .meltano/.
 */
export function copyRepository(dest: string): void {
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' });
  for (const file of files.split('\0')) {
    if (file === '' || !existsSync(join(ROOT, file))) continue; // deleted in the working tree
    mkdirSync(dirname(join(dest, file)), { recursive: true });
    copyFileSync(join(ROOT, file), join(dest, file));
  }
}

/**
 * Runs `script` with `bash -c` under `set -euo pipefail`, in its own process group, which is killed
 * whole if it outlives the timeout (the test then fails on that).
 */
export function sh(script: string, options: ShOptions): Promise<ShResult> {
  const timeoutMs = options.timeoutMs ?? 240_000;
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', `set -euo pipefail\n${script}`], {
      cwd: options.cwd,
      env: childEnv(options),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    const timer = setTimeout(() => {
      if (child.pid !== undefined) process.kill(-child.pid, 'SIGKILL');
      reject(new Error(`did not finish within ${timeoutMs} ms:\n${script}\n--- stderr (end) ---\n${stderr.slice(-4000)}`));
    }, timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** A failure message with the end of a run's output, for `expect(code, explain(run))`. */
export function explain(run: ShResult): string {
  return `exit ${run.code ?? run.signal}\n--- stdout (end) ---\n${run.stdout.slice(-3000)}\n--- stderr (end) ---\n${run.stderr.slice(-6000)}`;
}

/** SQL against the test database, through psql. */
export class Pg {
  constructor(private readonly env: IntegrationEnv) {}

  private run(sql: string): Promise<string> {
    const { host, port, user, password, database } = this.env.pg;
    const args = ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1', '-h', host, '-p', String(port), '-U', user, '-d', database, '-c', sql];
    return new Promise((resolve, reject) => {
      const child = spawn(this.env.psql, args, {
        env: { ...process.env, PGPASSWORD: password, PGCONNECT_TIMEOUT: '10' },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (err += c));
      child.on('error', reject);
      child.on('close', (code) => {
        if (code === 0) resolve(out);
        else reject(new Error(`psql failed (${code}): ${err.trim()}\n${sql}`));
      });
    });
  }

  /** The rows of a query, as JSON objects (Postgres's own JSON rendering of each column). */
  async rows<T>(sql: string): Promise<T[]> {
    const out = await this.run(`select coalesce(json_agg(q), '[]'::json) from (${sql}) q`);
    return JSON.parse(out) as T[];
  }

  async exec(sql: string): Promise<void> {
    await this.run(sql);
  }

  /** The ids of a table in id order, duplicates included. */
  async ids(schema: string, table: string): Promise<number[]> {
    const rows = await this.rows<{ id: number }>(`select id from "${schema}"."${table}" order by id`);
    return rows.map((r) => r.id);
  }

  async tables(schema: string): Promise<string[]> {
    const rows = await this.rows<{ t: string }>(
      `select table_name as t from information_schema.tables where table_schema = '${schema}' order by 1`,
    );
    return rows.map((r) => r.t);
  }

  /** The primary-key columns of the tables of `schema`, by table, in key order. */
  async primaryKeys(schema: string): Promise<{ table_name: string; column_name: string }[]> {
    return this.rows(
      `select tc.table_name, kcu.column_name from information_schema.table_constraints tc
       join information_schema.key_column_usage kcu using (constraint_schema, constraint_name)
       where tc.constraint_schema = '${schema}' and tc.constraint_type = 'PRIMARY KEY'
       order by tc.table_name, kcu.ordinal_position`,
    );
  }

  async dropSchema(schema: string): Promise<void> {
    await this.exec(`drop schema if exists "${schema}" cascade`);
  }
}

/** MeltanoLabs target-postgres's config: the private cluster, tables in `schema`, loaded by upsert (and `extra`). */
export function targetPostgresConfig(env: IntegrationEnv, schema: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  const { host, port, user, password, database } = env.pg;
  return { host, port, user, password, database, default_target_schema: schema, load_method: 'upsert', ...extra };
}

/** A schema name of its own for each suite and process, so that runs never see each other's tables. */
export function uniqueSchema(label: string): string {
  return `it_${label}_${process.pid}_${Date.now().toString(36)}`;
}

/** The simulator's live ids of a stream, ascending. */
export function truthIds(sim: Simulator, stream: StreamName): number[] {
  const rows = sim.truth()[stream];
  return rows.map((r) => r.id).sort((a, b) => a - b);
}

// ------------------------------------------------------------------------------------- schemas and types

export interface JsonSchemaProperty {
  type?: string | string[];
  format?: string;
  items?: JsonSchemaProperty;
  properties?: Record<string, JsonSchemaProperty>;
}

export interface StreamSchema {
  properties: Record<string, JsonSchemaProperty>;
}

/** The stream's schema as discovered: schemas/<stream>.json, the single source of truth of its types, and _drifted. */
export function streamSchema(stream: string): StreamSchema {
  return discoveredSchema(stream) as StreamSchema;
}

function nonNullTypes(p: JsonSchemaProperty): string[] {
  const t = p.type === undefined ? [] : Array.isArray(p.type) ? p.type : [p.type];
  return t.filter((x) => x !== 'null');
}

/** The JSON type of a property without "null" (the schemas give one type per property). */
export function jsonType(p: JsonSchemaProperty): string {
  const t = nonNullTypes(p);
  if (t.length !== 1) throw new Error(`expected one non-null type, got ${JSON.stringify(p.type)}`);
  return t[0]!;
}

/** Postgres's `udt_name` of a column for each scalar JSON type, as MeltanoLabs target-postgres creates it. */
const MELTANOLABS_UDT: Record<string, string> = { integer: 'int8', number: 'numeric', boolean: 'bool', string: 'text', object: 'jsonb' };

/**
 * The column that MeltanoLabs target-postgres creates for a property, as information_schema shows it
 * (`data_type`, `udt_name`): integer → bigint, number → numeric, date-time → timestamp, other strings
 * (decimal strings included) → text, object → jsonb, array → a Postgres array of its items' type
 * (jsonb[] for objects).
 */
export function meltanoLabsColumn(p: JsonSchemaProperty): { data_type: string; udt_name: string } {
  const t = jsonType(p);
  if (t === 'string' && p.format === 'date-time') return { data_type: 'timestamp without time zone', udt_name: 'timestamp' };
  if (t === 'array') {
    const item = p.items ? (p.items.format === 'date-time' ? 'timestamp' : MELTANOLABS_UDT[jsonType(p.items)]) : 'jsonb';
    return { data_type: 'ARRAY', udt_name: `_${item}` };
  }
  const udt = MELTANOLABS_UDT[t];
  if (!udt) throw new Error(`no expected column type for JSON type ${t}`);
  const dataType: Record<string, string> = { int8: 'bigint', numeric: 'numeric', bool: 'boolean', text: 'text', jsonb: 'jsonb' };
  return { data_type: dataType[udt]!, udt_name: udt };
}

/** Writes `value` as JSON to `dir/name` and returns the path. */
export function writeJson(dir: string, name: string, value: unknown): string {
  const path = join(dir, name);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, JSON.stringify(value, null, 2));
  return path;
}

/**
 * Waits until the clock has passed into the next whole second. The tap caps its bookmarks at the sync's
 * start as the server's Date header gives it, in whole seconds: a record changed in the second the next
 * sync starts is read again by the sync after (safe, but not the exact bookmark a test expects).
 */
export async function untilNextSecond(): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, 1000 - (Date.now() % 1000) + 20));
}
