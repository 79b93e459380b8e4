/**
 * Settings: merged from `--config` files (later files win) and, for `--config ENV`, from TAP_CRM_<NAME>
 * environment variables and a `.env` file; validated against schemas/settings.json; defaults applied.
 * Every mistake is a UsageError that names the setting or file and what to do, never the API key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { open } from 'node:fs/promises';
import type { ErrorObject } from 'ajv';
import { loadSchema, type JsonSchema } from '../protocol/catalog.js';
import { UsageError } from '../errors.js';
import type { Settings } from './generated/settings.js';
import { validateSettings } from './generated/validate-settings.js';
import { PACKAGE } from '../paths.js';

export type { Settings };

/** Settings after defaults: what the rest of the tap reads. */
export type ResolvedSettings = Settings &
  Required<
    Pick<
      Settings,
      | 'auth_method'
      | 'page_size'
      | 'requests_per_minute'
      | 'max_concurrency'
      | 'request_timeout'
      | 'max_response_mb'
      | 'user_agent'
      | 'log_level'
      | 'activate_version'
      | 'sweep_interval_days'
      | 'deletions'
      | 'deletions_max_percent'
      | 'progress'
    >
  >;

export const ENV_PREFIX = 'TAP_CRM_';

const settingsSchema = loadSchema('settings');
const properties = settingsSchema.properties ?? {};

/** What a file the tap reads whole may hold: its bytes, its objects and arrays, how deep they nest. */
export interface FileLimits {
  maxBytes: number;
  maxContainers: number;
  maxDepth: number;
}

const MIB = 1024 * 1024;

/**
 * The bounds of each file the tap reads before any request. A JSON text of many small objects takes some ten
 * times its size in memory once parsed: 800,000 empty objects (10 MB) outgrow the main thread's 128 MB heap
 * (cli.ts), so objects and arrays are counted before parsing. A state leaves room for what a stream may
 * remember (a compact string, not objects); a catalog of every stream holds some 3,300 objects and arrays.
 */
export const FILE_LIMITS: Readonly<Record<'config' | 'catalog' | 'state', FileLimits>> = {
  config: { maxBytes: MIB, maxContainers: 10_000, maxDepth: 32 },
  catalog: { maxBytes: 16 * MIB, maxContainers: 100_000, maxDepth: 64 },
  state: { maxBytes: 16 * MIB, maxContainers: 100_000, maxDepth: 32 },
};

/**
 * A JSON file, read whole but within its bounds (FILE_LIMITS): a file over them (or /dev/zero) is refused, not
 * read to the end. Read asynchronously, so that a FIFO whose writer has not come (`--config <(...)`) holds no
 * more than a thread of the pool: SIGTERM and SIGINT still end the run.
 */
export async function readJsonFile(file: string, what: keyof typeof FILE_LIMITS): Promise<unknown> {
  const limits = FILE_LIMITS[what];
  let text: string;
  try {
    text = await readCapped(file, limits.maxBytes);
  } catch (error) {
    if (error instanceof UsageError) throw new UsageError(`${what} file ${file} ${error.message}`);
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new UsageError(`${what} file ${file} cannot be read (${code}): check the path and its permissions.`);
  }
  const shape = jsonShape(text, limits);
  if (shape) throw new UsageError(`${what} file ${file} ${shape}: check that it is the right file, or regenerate it.`);
  try {
    return JSON.parse(text);
  } catch (error) {
    // Only where: the parser's own message quotes the file, and a config file holds the API key.
    const message = (error as Error).message;
    const position = /position (\d+)/.exec(message)?.[1];
    const where = /end of JSON input/.test(message)
      ? ' (it ends too early)'
      : position !== undefined
        ? ` (at ${lineAndColumn(text, Number(position))})`
        : '';
    throw new UsageError(`${what} file ${file} is not valid JSON${where}: fix or regenerate it.`);
  }
}

/** Files being opened or read now (readCapped). */
let reading = 0;

/**
 * Whether a file is being read now. Opening a FIFO whose writer has not come blocks a thread of the pool, and
 * Node's exit waits for it: a signal then ends the process by the signal itself (cli.ts).
 */
export function readingFiles(): boolean {
  return reading > 0;
}

/** The file's text, refused (a UsageError saying so) past `maxBytes`. */
async function readCapped(file: string, maxBytes: number): Promise<string> {
  reading++;
  try {
    return await readOpened(file, maxBytes);
  } finally {
    reading--;
  }
}

async function readOpened(file: string, maxBytes: number): Promise<string> {
  const handle = await open(file, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const { bytesRead, buffer } = await handle.read({ buffer: Buffer.alloc(64 * 1024) });
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > maxBytes) throw new UsageError(`is larger than ${maxBytes / MIB} MiB (the most the tap reads of it)`);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks).toString('utf8');
  } finally {
    await handle.close();
  }
}

/**
 * Why a JSON text is over its bounds, if it is: more objects and arrays than `maxContainers`, or nested
 * deeper than `maxDepth`. One pass over the text, strings skipped; before JSON.parse, which would build it all.
 */
export function jsonShape(text: string, { maxContainers, maxDepth }: FileLimits): string | undefined {
  let containers = 0;
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x22) {
      // A string: to its closing quote, escapes skipped.
      for (i++; i < text.length && text.charCodeAt(i) !== 0x22; i++) if (text.charCodeAt(i) === 0x5c) i++;
    } else if (c === 0x7b || c === 0x5b) {
      if (++containers > maxContainers) return `holds more than ${maxContainers} objects and arrays`;
      if (++depth > maxDepth) return `nests objects and arrays more than ${maxDepth} deep`;
    } else if (c === 0x7d || c === 0x5d) depth--;
  }
  return undefined;
}

function lineAndColumn(text: string, position: number): string {
  const before = text.slice(0, position).split('\n');
  return `line ${before.length}, column ${before.at(-1)!.length + 1}`;
}

/** Reads `.env` (KEY=VALUE lines, # comments, optional quotes) without overriding the real environment. */
function readDotEnv(path: string): Record<string, string> {
  if (!existsSync(path)) return {};
  // A regular file of a config's size: never a FIFO or a device read without end.
  const stat = statSync(path);
  if (!stat.isFile() || stat.size > FILE_LIMITS.config.maxBytes)
    throw new UsageError(`${path} is not a file of at most 1 MiB: the .env file holds TAP_CRM_<SETTING>=value lines.`);
  const values: Record<string, string> = {};
  for (const line of readFileSync(path, 'utf8').split(/\r?\n/)) {
    const match = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)\s*=\s*(.*?)\s*$/.exec(line);
    if (!match || line.trimStart().startsWith('#')) continue;
    values[match[1]!] = match[2]!.replace(/^(['"])(.*)\1$/, '$2');
  }
  return values;
}

/** Settings from TAP_CRM_<NAME> variables, cast to each setting's type. */
export function settingsFromEnv(env: NodeJS.ProcessEnv, dotEnvPath = '.env'): Record<string, unknown> {
  const merged = environment(env, dotEnvPath);
  const settings: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(properties)) {
    const variable = ENV_PREFIX + name.toUpperCase();
    const raw = merged[variable];
    if (raw === undefined || raw === '') continue;
    settings[name] = castEnv(raw, schema, variable);
  }
  return settings;
}

/** The environment over the `.env` file. */
function environment(env: NodeJS.ProcessEnv, dotEnvPath: string): Record<string, string | undefined> {
  return { ...readDotEnv(dotEnvPath), ...env };
}

/**
 * TAP_CRM_ variables that are no setting and yet not unknown: the tap's own for tests (cli.ts:
 * TAP_CRM_HEARTBEAT_MS, TAP_CRM_RATE_WINDOW_MS), the test suites' and tools' (TAP_CRM_IT_*,
 * TAP_CRM_MAPS_DIFF_*, TAP_CRM_IMAGE*, TAP_CRM_CONNECTOR_IMAGE, TAP_CRM_SDK_STREAMS), and Meltano's
 * extras (TAP_CRM__SELECT…, two underscores).
 */
const OWN_VARIABLES = /^TAP_CRM_(?:HEARTBEAT_MS|RATE_WINDOW_MS|IT_\w*|MAPS_DIFF_\w*|IMAGE\w*|CONNECTOR_IMAGE|SDK_STREAMS|_\w*)$/;

/** TAP_CRM_ variables of the environment and `.env` that name no setting, sorted. */
export function unknownVariables(env: NodeJS.ProcessEnv, dotEnvPath = '.env'): string[] {
  const settings = new Set(Object.keys(properties).map((name) => ENV_PREFIX + name.toUpperCase()));
  return Object.keys(environment(env, dotEnvPath))
    .filter((v) => v.startsWith(ENV_PREFIX) && !settings.has(v) && !OWN_VARIABLES.test(v))
    .sort();
}

function castEnv(raw: string, schema: JsonSchema, variable: string): unknown {
  const type = Array.isArray(schema.type) ? schema.type.find((t) => t !== 'null') : schema.type;
  if (type === 'integer' || type === 'number') {
    const value = Number(raw.trim());
    if (raw.trim() === '' || !Number.isFinite(value) || (type === 'integer' && !Number.isInteger(value))) {
      throw new UsageError(`environment variable ${variable} must be ${type === 'integer' ? 'an integer' : 'a number'}.`);
    }
    return value;
  }
  if (type === 'boolean') {
    if (/^(true|1|yes)$/i.test(raw)) return true;
    if (/^(false|0|no)$/i.test(raw)) return false;
    throw new UsageError(`environment variable ${variable} must be true or false.`);
  }
  if (type === 'object') {
    // Meltano passes an object setting as its JSON text.
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      throw new UsageError(`environment variable ${variable} must hold a JSON object.`);
    }
  }
  return raw;
}

/** Merges the `--config` arguments in order: each a JSON file, or ENV for the environment. */
export async function mergeConfig(configArgs: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<Record<string, unknown>> {
  let merged: Record<string, unknown> = {};
  for (const arg of configArgs) {
    const layer = arg === 'ENV' ? settingsFromEnv(env) : await readJsonFile(arg, 'config');
    if (typeof layer !== 'object' || layer === null || Array.isArray(layer)) {
      throw new UsageError(`config file ${arg} must hold a JSON object of settings.`);
    }
    merged = { ...merged, ...(layer as Record<string, unknown>) };
  }
  return merged;
}

/**
 * Validates merged settings, applies defaults and checks what a schema cannot (URL, https). `unknown`: the
 * names of the config that are no setting (unknownSettings), which a missing setting's message names when
 * one looks like it.
 */
export function resolveSettings(raw: Record<string, unknown>, unknown: readonly string[] = unknownSettings(raw)): ResolvedSettings {
  if (raw.base_url === undefined && raw.subdomain !== undefined) throw new UsageError(subdomainAdvice(raw.subdomain));
  const settings = structuredClone(raw);
  if (!validateSettings(settings)) throw new UsageError(describeError(validateSettings.errors?.[0], unknown));
  const s = settings;
  s.base_url = checkBaseUrl(s.base_url);
  if (s.start_date !== undefined) s.start_date = checkStartDate(s.start_date);
  s.user_agent ??= `${PACKAGE.name}/${PACKAGE.version}`;
  return s as ResolvedSettings;
}

/**
 * The names of the config that are no setting, as a person wrote them: a file's keys quoted ("api_kye"),
 * and with --config ENV the unknown TAP_CRM_ variables (unknownVariables).
 */
export function unknownSettings(
  raw: Record<string, unknown>,
  configArgs: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): string[] {
  const keys = Object.keys(raw)
    .filter((k) => !(k in properties))
    .map((k) => JSON.stringify(k));
  return configArgs.includes('ENV') ? [...keys, ...unknownVariables(env)] : keys;
}

/** The setting an unknown name (a quoted key or a TAP_CRM_ variable) stands for, spelt as settings are. */
function asSetting(unknown: string): string {
  const name = unknown.startsWith('"') ? (JSON.parse(unknown) as string) : unknown.slice(ENV_PREFIX.length);
  return name.toLowerCase().replace(/-/g, '_');
}

/**
 * Whether an unknown name looks like a misspelling of `setting`: at most two letters typed, dropped,
 * swapped or wrong (one for a name of five letters or fewer), or the same letters in another order.
 */
export function looksLike(unknown: string, setting: string): boolean {
  const name = asSetting(unknown);
  if (name === setting) return true;
  const sameLetters = Array.from(name).sort().join('') === Array.from(setting).sort().join('');
  return sameLetters || editDistance(name, setting) <= (setting.length <= 5 ? 1 : 2);
}

/** Edits (insertion, deletion, substitution, swap of neighbours) from `a` to `b`. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) =>
    Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)),
  );
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

function describeError(error: ErrorObject | undefined, unknown: readonly string[]): string {
  if (!error) return 'settings are invalid.';
  const where = error.instancePath.replace(/^\//, '');
  const hint = (name: string) => `add "${name}" to a --config file or set ${ENV_PREFIX}${name.toUpperCase()} with --config ENV.`;
  if (error.keyword === 'required') {
    const name = String(error.params.missingProperty);
    const like = unknown.filter((u) => looksLike(u, name));
    const where = (u: string) => (u.startsWith('"') ? `the config has ${u}` : `the environment has ${u}`);
    const misspelt = like.length > 0 ? ` (${like.map(where).join(', ')}: a misspelling?)` : '';
    return `setting "${name}" is missing${misspelt}: ${hint(name)}`;
  }
  const name = where || 'settings';
  const schema = properties[name];
  switch (error.keyword) {
    case 'enum':
      return `setting "${name}" must be one of ${(schema?.enum as string[]).join(', ')}.`;
    case 'type':
      return `setting "${name}" must be ${article(String(error.params.type))}.`;
    case 'format':
      return `setting "${name}" must be an RFC 3339 date-time such as 2024-01-31T00:00:00Z.`;
    case 'pattern':
      if (name === 'start_date') return START_DATE_ADVICE;
      return `setting "${name}" must hold printable ASCII characters only (no line break, tab or accent).`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
      return `setting "${name}" ${error.message ?? 'is out of range'}.`;
    case 'minLength':
      return `setting "${name}" must not be empty.`;
    default:
      return `setting "${name}" ${error.message ?? 'is invalid'}.`;
  }
}

function article(type: string): string {
  return { integer: 'an integer', number: 'a number', string: 'a string', boolean: 'true or false', object: 'an object' }[type] ?? type;
}

/** A config written for Airbyte's RepairShopr connector, which takes the account's subdomain instead of a URL. */
function subdomainAdvice(subdomain: unknown): string {
  const name = typeof subdomain === 'string' && /^[A-Za-z0-9-]{1,63}$/.test(subdomain) ? subdomain : '<subdomain>';
  return (
    `setting "subdomain" is not tap-crm's (Airbyte's RepairShopr connector takes one); tap-crm takes the API's URL: ` +
    `set "base_url" to https://${name}.syncromsp.com/api/v1 (Syncro) or https://${name}.repairshopr.com/api/v1 (RepairShopr), and drop "subdomain".`
  );
}

const START_DATE_ADVICE = 'setting "start_date" must be a date such as 2024-01-31 or an RFC 3339 date-time such as 2024-01-31T00:00:00Z.';

/** start_date as a date-time: a date is its midnight UTC (Meltano's date_iso8601 kind writes a date). */
function checkStartDate(value: string): string {
  const [year, month, day] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  const calendar = new Date(Date.UTC(year, month - 1, day));
  const dateTime = value.length === 10 ? `${value}T00:00:00Z` : value;
  // Date.UTC rolls 2024-02-30 over to March: the day must read back as written.
  if (calendar.getUTCMonth() !== month - 1 || calendar.getUTCDate() !== day || Number.isNaN(Date.parse(dateTime)))
    throw new UsageError(START_DATE_ADVICE);
  return dateTime;
}

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/i;

function checkBaseUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new UsageError(`setting "base_url" is not a URL: give the API root, such as https://acme.syncromsp.com/api/v1.`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new UsageError(`setting "base_url" must be an https URL, such as https://acme.syncromsp.com/api/v1.`);
  }
  if (url.protocol === 'http:' && !LOOPBACK.test(url.hostname)) {
    throw new UsageError(
      `setting "base_url" uses plain http to ${url.hostname}: use https (plain http is accepted only for loopback hosts).`,
    );
  }
  if (url.username || url.password || url.search || url.hash) {
    throw new UsageError(`setting "base_url" must not hold credentials, a query or a fragment: put the token in "api_key".`);
  }
  return url.toString().replace(/\/+$/, '');
}
