#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=128
// The heap flags keep the resident size flat and small: the tap's live data is small (the pages in
// flight), and without a bound V8 lets the garbage of parsing and serialising pile up on a long sync.
/**
 * The command line: `tap-crm --about | --discover | --config FILE... [--catalog FILE] [--state FILE] [--test]`.
 * Every failure ends here in one CRITICAL line and a non-zero exit code (2: usage, 1: run time).
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { about, aboutMarkdown } from './about.js';
import { discover, parseCatalog, selectStreams, type SelectedStream, type UserCatalog } from './catalog.js';
import { TapError, UsageError } from './errors.js';
import { ApiError, HttpClient } from './http.js';
import { addSecret, flushLog, isDebug, log, LEVELS, setLevel, type Level } from './log.js';
import { PACKAGE } from './paths.js';
import { PagePool } from './page-pool.js';
import { mergeConfig, readJsonFile, resolveSettings, unknownSettings, type ResolvedSettings } from './settings.js';
import { syncMode, TEST_MODE } from './run-mode.js';
import { EMPTY_STATE, parseState, stateKeeper, type StateKeeper, type TapState } from './state.js';
import { runSync } from './sync.js';
import { allWritten, MessageWriter } from './writer.js';

interface Args {
  config?: string[];
  catalog?: string;
  properties?: string;
  state?: string;
  discover?: boolean;
  about?: boolean;
  format: 'json' | 'markdown';
  test?: string;
}

function parseArgs(argv: string[]): Args {
  return yargs(argv)
    .scriptName('tap-crm')
    .usage('$0 [options]\n\nSinger tap for the Syncro MSP / RepairShopr REST API v1. Messages go to stdout, logs to stderr.')
    .option('config', {
      type: 'string',
      array: true,
      describe: 'Settings file (JSON); repeat to merge, later wins; ENV reads TAP_CRM_* variables',
    })
    .option('catalog', { type: 'string', describe: 'Catalog file selecting streams and fields' })
    .option('properties', { type: 'string', describe: 'Legacy name of --catalog' })
    .option('state', { type: 'string', describe: 'State file from a previous run' })
    .option('discover', { type: 'boolean', describe: 'Print the catalog and exit' })
    .option('about', { type: 'boolean', describe: 'Print name, version, capabilities and settings, then exit' })
    .option('format', { choices: ['json', 'markdown'] as const, default: 'json' as const, describe: 'Format of --about' })
    .option('test', { type: 'string', describe: 'Connection test: one record per stream (or only schemas with --test=schema)' })
    .example('$0 --discover > catalog.json', 'Write the catalog (no config needed)')
    .example('$0 --config config.json --state state.json | target-postgres', 'Sync into a target')
    .strict()
    .version(PACKAGE.version)
    .help()
    .fail((message, error) => {
      // yargs hands over a message, or an error of its own (with an empty message)
      throw new UsageError(`${message || (error as Error | undefined)?.message || 'invalid arguments'}; see tap-crm --help.`);
    })
    .parseSync();
}

async function main(argv: string[]): Promise<number> {
  const levelFromEnv = applyEnvLogLevel();
  const args = parseArgs(argv);
  if (args.about) {
    const info = about();
    await writeStdout(args.format === 'markdown' ? aboutMarkdown(info) : JSON.stringify(info, null, 2) + '\n');
    return 0;
  }
  if (args.discover) {
    await writeStdout(JSON.stringify(discover(), null, 2) + '\n');
    return 0;
  }
  const input = readInput(args, levelFromEnv);
  await runTap(input, args.test);
  return 0;
}

/** TAP_CRM_LOG_LEVEL, when set to a level: applied before anything is logged. Returns whether it was. */
function applyEnvLogLevel(): boolean {
  const envLevel = process.env.TAP_CRM_LOG_LEVEL?.toUpperCase();
  const valid = envLevel !== undefined && (LEVELS as readonly string[]).includes(envLevel);
  if (valid) setLevel(envLevel as Level);
  return valid;
}

interface TapInput {
  settings: ResolvedSettings;
  streams: SelectedStream[];
  state: TapState;
}

/** The run's settings, selected streams and state, every file checked before any request. */
function readInput(args: Args, levelFromEnv: boolean): TapInput {
  if (!args.config?.length) {
    throw new UsageError('no --config given: pass a settings file (--config config.json) or --config ENV; see tap-crm --help.');
  }
  const raw = mergeConfig(args.config);
  if (typeof raw.api_key === 'string') addSecret(raw.api_key);
  const settings = resolveSettings(raw);
  if (raw.log_level !== undefined || !levelFromEnv) setLevel(settings.log_level); // else TAP_CRM_LOG_LEVEL stays
  for (const name of unknownSettings(raw)) log.warning(`setting "${name}" is not a tap-crm setting; ignored`);

  const catalogFile = args.catalog ?? args.properties;
  const catalog: UserCatalog | undefined = catalogFile ? parseCatalog(readJsonFile(catalogFile, 'catalog'), catalogFile) : undefined;
  const state: TapState = args.state ? parseState(readJsonFile(args.state, 'state'), args.state) : EMPTY_STATE;
  const streams = selectStreams(catalog);
  if (streams.length === 0) log.warning('the catalog selects no stream: nothing to sync');
  return { settings, streams, state };
}

/** The connection check, then the sync (or, with `--test`, a connection test). */
async function runTap({ settings, streams, state }: TapInput, test: string | undefined): Promise<void> {
  const client = new HttpClient({
    baseUrl: settings.base_url,
    apiKey: settings.api_key,
    authMethod: settings.auth_method,
    userAgent: settings.user_agent,
    timeoutMs: settings.request_timeout * 1000,
    maxConcurrency: settings.max_concurrency,
    requestsPerMinute: settings.requests_per_minute,
  });
  const writer = new MessageWriter(process.stdout);
  const schemaOnly = test === 'schema';
  const mode = test === undefined ? syncMode() : TEST_MODE;
  // Started now, the page workers load their code while GET /me is on its way.
  const pool = schemaOnly ? undefined : new PagePool();
  try {
    await checkConnection(client, settings);
    // The signpost, in the server's time (record timestamps are the server's): never later than the
    // server's now, whichever clock runs ahead.
    const startedAt = new Date(Date.now() + Math.min(0, client.serverClockOffsetMs ?? 0));
    if (pool) {
      const keeper = stateKeeper(state);
      if (mode.checkpoints) flushStateOnSignal = { writer, keeper };
      const results = await runSync({ client, writer, streams, settings, state: keeper, mode, startedAt, pool });
      const total = results.reduce((n, r) => n + r.records, 0);
      log.info(`sync complete: ${total} records from ${results.filter((r) => r.status === 'synced').length} stream(s)`);
    } else {
      // --test=schema: the streams' SCHEMA messages only; no list endpoint is read.
      for (const selected of streams.filter((s) => !s.walkOnly)) await writer.schema(selected);
    }
    await writer.flush();
  } finally {
    client.close();
    await pool?.close();
  }
}

/** GET /me: proves the base URL and the token before any stream is read (docs/api.md#connection-check). */
async function checkConnection(client: HttpClient, settings: ResolvedSettings): Promise<void> {
  try {
    // Three attempts: enough for a passing fault, short when the URL or the network is wrong.
    await client.getJson('/me', {}, { stream: 'connection check' }, 3);
  } catch (error) {
    if (!(error instanceof ApiError)) throw error;
    if (error.kind === 'unauthorized') {
      throw new TapError(
        `the API refused the token (HTTP 401 on GET /me): check "api_key" and "auth_method" (now "${settings.auth_method}"); ` +
          'the token may be wrong, revoked or expired.',
      );
    }
    if (error.kind === 'not_found') {
      throw new TapError(`GET /me answered HTTP 404: check that "base_url" is the API root, such as https://acme.syncromsp.com/api/v1.`);
    }
    throw new TapError(`cannot reach the API at "base_url" (${error.message}); check the URL and the network.`);
  }
}

/** Writes to stdout and resolves once the text has been handed to the operating system. */
function writeStdout(text: string): Promise<void> {
  return new Promise((resolve, reject) =>
    process.stdout.write(text, (error) => {
      if (error) reject(error);
      else resolve();
    }),
  );
}

/**
 * Exits once stdout and stderr are flushed: on Node 22 and later, writes to a pipe are asynchronous, and
 * process.exit() would cut off what is still buffered.
 */
async function exit(code: number): Promise<never> {
  flushLog();
  await Promise.all([allWritten(process.stdout), allWritten(process.stderr)]);
  process.exit(code);
}

/** Set while a sync runs: an interrupted run writes the state it has reached before it exits. */
let flushStateOnSignal: { writer: MessageWriter; keeper: StateKeeper } | undefined;

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    log.warning(`interrupted by ${signal}; writing the state reached so far and stopping`);
    const pending = flushStateOnSignal;
    const flushed = pending ? pending.writer.state(pending.keeper.value).catch(() => undefined) : Promise.resolve();
    void flushed.then(() => exit(code));
  });
}

onSignal('SIGTERM', 143);
onSignal('SIGINT', 130);

main(hideBin(process.argv)).then(exit, (error: unknown) => {
  if (error instanceof TapError) {
    log.critical(error.message);
    if (isDebug() && error.stack) log.debug(error.stack);
    return exit(error.exitCode);
  }
  const e = error instanceof Error ? error : new Error(String(error));
  log.critical(`unexpected failure: ${e.message}. Run with log_level DEBUG for details, and report it.`);
  if (isDebug() && e.stack) log.debug(e.stack);
  return exit(1);
});
