/**
 * One run of the tap, whichever protocol it speaks: the settings, streams and state read and checked
 * before any request, the connection checked with GET /me, then the sync (or a connection test).
 */
import type { Clock } from '../clock.js';
import { selectStreams, type SelectedStream, type UserCatalog } from '../protocol/catalog.js';
import { TapError, UsageError } from '../errors.js';
import { judge } from '../error-policy.js';
import { HttpClient, type RequestObserver } from '../api/http.js';
import type { Logger } from '../output/log.js';
import { RunProgress } from '../output/progress.js';
import { startDisplay, summaryTable } from '../output/progress-display.js';
import { PagePool } from '../sync/page-pool.js';
import { syncMode, TEST_MODE } from '../sync/run-mode.js';
import { mergeConfig, readJsonFile, resolveSettings, unknownSettings, type ResolvedSettings } from './settings.js';
import { EMPTY_STATE, stateKeeper, type TapState } from '../protocol/state.js';
import { runSync } from '../sync/sync.js';
import { allObservers, Heartbeat, rateLimitReporter } from '../sync/signals.js';
import type { MessageWriter } from '../protocol/writer.js';
import type { ProtocolName } from '../protocol/messages.js';
import { runMaps, type RunMaps } from '../maps/run-maps.js';
import { writeSchemas } from '../sync/emit.js';
import { definitionRequests, DEFINITIONS, readSources, withColumns } from './custom-columns.js';

export interface TapInput {
  settings: ResolvedSettings;
  streams: SelectedStream[];
  state: TapState;
  /** The stream maps and flattening (settings stream_maps, flattening_enabled), when asked for. */
  maps?: RunMaps;
}

/** Where the input comes from, and how its catalog and state files are read (Singer's or Airbyte's shapes). */
export interface InputFiles {
  config: string[] | undefined;
  catalog: string | undefined;
  state: string | undefined;
  parseCatalog: (value: unknown, file: string) => UserCatalog;
  parseState: (value: unknown, file: string) => TapState;
  /** The protocol of the run: stream maps are Singer's only. */
  protocol: ProtocolName;
}

/** The settings (with the API key registered as a secret of `log` at once); a UsageError names what to fix. */
export async function readSettings(
  config: string[] | undefined,
  log: Pick<Logger, 'addSecret'>,
): Promise<{ settings: ResolvedSettings; raw: Record<string, unknown>; unknown: string[] }> {
  if (!config?.length) {
    throw new UsageError('no --config given: pass a settings file (--config config.json) or --config ENV; see tap-crm --help.');
  }
  return settingsOf(await mergeConfig(config), config, log);
}

/** The settings of a merged config (`config`: the --config arguments it came from), the API key registered as a secret first. */
export function settingsOf(
  raw: Record<string, unknown>,
  config: readonly string[],
  log: Pick<Logger, 'addSecret'>,
): { settings: ResolvedSettings; raw: Record<string, unknown>; unknown: string[] } {
  if (typeof raw.api_key === 'string') log.addSecret(raw.api_key);
  // Only --config ENV reads TAP_CRM_ variables: without it they are not the run's config, and none is warned about.
  const unknown = unknownSettings(raw, config);
  return { settings: resolveSettings(raw, unknown), raw, unknown };
}

/**
 * stream_map_config values of this many characters or more are masked in every line, as the API key is;
 * shorter ones (a flag, a digit) would mask the words and numbers around them.
 */
const MAP_SECRET_LENGTH = 4;

/** The run's settings, selected streams and state, every file checked before any request. */
export async function readInput(files: InputFiles, log: Logger): Promise<TapInput> {
  const { settings, raw, unknown } = await readSettings(files.config, log);
  log.levelFromSettings(raw.log_level !== undefined, settings.log_level);
  // Values that stream maps read as config['name'] may be secrets (a hash seed): never printed either.
  for (const value of Object.values(settings.stream_map_config ?? {}))
    if ((typeof value === 'string' || typeof value === 'number') && String(value).length >= MAP_SECRET_LENGTH) log.addSecret(String(value));
  for (const name of unknown) {
    const what = name.startsWith('"') ? `setting ${name}` : `environment variable ${name}`;
    log.warning(`${what} is not a tap-crm setting; ignored (check its spelling: tap-crm --about lists the settings)`);
  }
  const catalog = files.catalog ? files.parseCatalog(await readJsonFile(files.catalog, 'catalog'), files.catalog) : undefined;
  const state = files.state ? files.parseState(await readJsonFile(files.state, 'state'), files.state) : EMPTY_STATE;
  const streams = selectStreams(catalog);
  if (streams.length === 0) log.warning('the catalog selects no stream: nothing to sync (mark streams "selected": true in its metadata)');
  const maps = runMaps(settings, streams, files.protocol, log);
  return { settings, streams, state, maps };
}

export function httpClient(
  settings: ResolvedSettings,
  log: Logger,
  observer?: RequestObserver,
  clock?: Clock,
  rateWindowMs?: number,
): HttpClient {
  return new HttpClient({
    log,
    observer,
    clock,
    rateWindowMs,
    baseUrl: settings.base_url,
    apiKey: settings.api_key,
    authMethod: settings.auth_method,
    userAgent: settings.user_agent,
    timeoutMs: settings.request_timeout * 1000,
    maxResponseBytes: settings.max_response_mb * 1024 * 1024,
    maxConcurrency: settings.max_concurrency,
    requestsPerMinute: settings.requests_per_minute,
  });
}

/**
 * What the command line (cli.ts) and the run share: the run's one clock, its one log, and the run in
 * progress as a signal handler sees it: set while a sync runs, `finalState` writes the state it has
 * reached, last, before the process exits.
 */
export interface RunHandle {
  readonly clock: Clock;
  readonly log: Logger;
  finalState?: () => Promise<void>;
  /** Times that tests shorten: the heartbeat's interval (an Airbyte read; signals.ts), the rate limit's window. */
  timing?: { heartbeatMs?: number; rateWindowMs?: number };
}

/** The connection check, then the sync (or, with `--test`, a connection test). */
export async function runTap(
  { settings, streams: selected, state, maps }: TapInput,
  writer: MessageWriter,
  handle: RunHandle,
  test?: string,
): Promise<void> {
  const { clock, log } = handle;
  const written = new Set(selected.filter((s) => !s.walkOnly).map((s) => s.def.name));
  const definitions = settings.custom_fields === 'columns' ? definitionRequests(written) : 0;
  const progress = new RunProgress([...(definitions > 0 ? [DEFINITIONS] : []), ...selected.map((s) => s.def.name)], clock);
  // A person watches a terminal: the progress block instead of METRIC lines, which are for machines (a pipe).
  if (showProgress(settings, log) && onTerminal(writer)) log.setMetrics(false);
  // Airbyte: a RATE_LIMITED status for a stream the API answers 429 (the protocol writes none in Singer).
  const observer = allObservers(progress, rateLimitReporter(writer, written, clock));
  const client = httpClient(settings, log, observer, clock, handle.timing?.rateWindowMs);
  const schemaOnly = test === 'schema';
  const mode = test === undefined ? syncMode() : TEST_MODE;
  // Started now, the page workers load their code while GET /me is on its way.
  const pool = schemaOnly ? undefined : new PagePool(undefined, settings.max_response_mb, log);
  try {
    await checkConnection(client, settings);
    // The signpost, in the server's time (record timestamps are the server's): never later than the
    // server's now, whichever clock runs ahead.
    const startedAt = new Date(clock.now() + Math.min(0, client.serverClockOffsetMs ?? 0));
    // --test=schema writes the catalog's schemas and reads nothing: no definitions either.
    const streams = definitions > 0 && !schemaOnly ? await customColumns(selected, written, client, progress, definitions, log) : selected;
    if (pool) {
      const keeper = stateKeeper(state);
      // Interrupted: the state of each stream the run writes that has one (Airbyte: a message each).
      const withState = () => [...written].filter((name) => name in keeper.value.bookmarks);
      if (mode.checkpoints) handle.finalState = () => writer.finalState(keeper.value, withState());
      const stopDisplay = showProgress(settings, log)
        ? startDisplay({ progress, log, allowedPerMinute: () => client.allowedPerMinute, terminal: onTerminal(writer) })
        : undefined;
      const stopHeartbeat =
        mode.checkpoints && writer.protocol.name === 'airbyte'
          ? new Heartbeat({
              writer,
              state: keeper,
              initial: state,
              streams: [...written],
              progress,
              clock,
              intervalMs: handle.timing?.heartbeatMs,
            }).start()
          : undefined;
      try {
        await runSync({ client, writer, streams, settings, state: keeper, mode, startedAt, pool, progress, clock, maps, log });
      } finally {
        stopHeartbeat?.();
        stopDisplay?.();
        summarise(progress, log);
      }
      if (test !== undefined) log.info(testPassed(progress, written));
    } else {
      // --test=schema: the streams' SCHEMA messages only; no list endpoint is read.
      for (const selected of streams.filter((s) => !s.walkOnly)) await writeSchemas(writer, maps, selected, selected.schema);
      log.info(`connection test passed: GET /me answered; the SCHEMA of ${written.size} stream(s) written, no list read`);
    }
    await writer.flush();
  } finally {
    client.close();
    await pool?.close();
  }
}

/**
 * The streams told which custom field columns to fill, from the definitions read now (their requests on a
 * row of the ledgers, counted in the ETA from the start); the streams as they are when they cannot be read.
 */
async function customColumns(
  streams: SelectedStream[],
  written: ReadonlySet<string>,
  client: HttpClient,
  progress: RunProgress,
  requests: number,
  log: Logger,
): Promise<SelectedStream[]> {
  progress.started(DEFINITIONS);
  progress.page(DEFINITIONS, 0, { totalPages: requests });
  const sources = await readSources(client, log, written);
  progress.page(DEFINITIONS, Math.min(requests, progress.stream(DEFINITIONS).requests), {});
  progress.ended(DEFINITIONS, sources ? 'synced' : 'skipped', sources ? {} : { reason: 'the definitions could not be read' });
  return sources ? withColumns(streams, sources, log) : streams;
}

/** Progress shows unless the settings turn it off, or the log level hides INFO lines. */
function showProgress(settings: ResolvedSettings, log: Logger): boolean {
  return settings.progress && log.logs('INFO');
}

/** Drawn in place where stderr is a terminal (a Singer run: Airbyte's stdout carries the logs). */
function onTerminal(writer: MessageWriter): boolean {
  return process.stderr.isTTY && writer.protocol.name === 'singer';
}

/** The run summary at INFO: a table, a line per stream (each stream's METRIC lines came at its end, stream-run.ts). */
function summarise(progress: RunProgress, log: Logger): void {
  for (const line of summaryTable(progress)) log.info(line);
}

/** The last line of a `--test` that did not fail: the streams read and their records, those skipped and why. */
function testPassed(progress: RunProgress, written: ReadonlySet<string>): string {
  const streams = progress.streams.filter((s) => written.has(s.stream));
  const read = streams.filter((s) => s.phase === 'synced');
  const records = read.reduce((sum, s) => sum + s.records, 0);
  const empty = read.filter((s) => s.records === 0).map((s) => s.stream);
  const skipped = streams.filter((s) => s.phase !== 'synced').map((s) => `${s.stream} (${s.reason ?? s.phase})`);
  return (
    `connection test passed: GET /me and ${read.length} stream(s) read, ${records} record(s) written (one per stream at most)` +
    (empty.length > 0 ? `; no record in ${empty.join(', ')}` : '') +
    (skipped.length > 0 ? `; skipped: ${skipped.join(', ')}` : '')
  );
}

/** GET /me: proves the base URL and the token before any stream is read (docs/api.md#connection-check). */
export async function checkConnection(client: HttpClient, settings: ResolvedSettings): Promise<void> {
  try {
    // Three attempts: enough for a passing fault, short when the URL or the network is wrong.
    await client.getJson('/me', {}, { stream: 'connection check' }, 3);
  } catch (error) {
    const verdict = judge(error, { at: 'connection', authMethod: settings.auth_method });
    if (!verdict) throw error;
    throw new TapError(verdict.message, 1, verdict.failureType);
  }
}
