#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=128 --initial-old-space-size=24
// The heap flags keep the resident size flat and small: the tap's live data is small (the pages in
// flight), and without a bound V8 lets the garbage of parsing and serialising pile up on a long sync.
// The initial old space lets each heap reach 24 MB before its first full collection: below it, V8 collected
// the main thread's heap fully about fifty times a sync, each time it had grown a few MB (--trace-gc;
// docs/benchmarks.md, cpu).
/**
 * The command line, in two protocols on one engine:
 *   Singer   tap-crm --about | --discover | --config FILE... [--catalog FILE] [--state FILE] [--test]
 *   Airbyte  tap-crm spec | check --config F | discover --config F | read --config F --catalog F [--state F]
 * Every failure ends here: in one CRITICAL line (Singer) or a LOG and a TRACE ERROR (Airbyte), and a
 * non-zero exit code (2: usage, 1: run time). An Airbyte check answers its failure as a FAILED status.
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { about, aboutMarkdown, aboutText } from './command/about.js';
import { catalogMessage, parseAirbyteState, parseConfiguredCatalog, specMessage } from './protocol/airbyte.js';
import { discover, parseCatalog } from './protocol/catalog.js';
import { REPORT } from './error-policy.js';
import { TapError, UsageError } from './errors.js';
import { Logger, wantsStructured } from './output/log.js';
import { readingFiles } from './command/settings.js';
import { systemClock } from './clock.js';
import { AIRBYTE, airbyteConnectionStatus, airbyteTraceError, SINGER } from './protocol/messages.js';
import { PACKAGE } from './paths.js';
import { parseState } from './protocol/state.js';
import { checkConnection, httpClient, readInput, readSettings, runTap, type RunHandle } from './command/tap.js';
import { runMaps } from './maps/run-maps.js';
import { discoveryColumns } from './command/discover.js';
import { allWritten, MessageWriter } from './protocol/writer.js';

interface Args {
  _: (string | number)[];
  config?: string[];
  catalog?: string;
  properties?: string;
  state?: string;
  discover?: boolean;
  about?: boolean;
  format: 'json' | 'text' | 'markdown';
  test?: string;
}

const AIRBYTE_COMMANDS = ['spec', 'check', 'discover', 'read'];

function parseArgs(argv: string[]): Args {
  return yargs(argv)
    .scriptName('tap-crm')
    .usage(
      '$0 [options]             Singer tap (messages on stdout, logs on stderr)\n' +
        '$0 <command> [options]   Airbyte source (protocol v0)\n\n' +
        'For the Syncro MSP / RepairShopr REST API v1.',
    )
    .command('spec', 'Airbyte: the connector specification (SPEC)')
    .command('check', 'Airbyte: check the connection (CONNECTION_STATUS); needs --config')
    .command('discover', 'Airbyte: the catalog (CATALOG)')
    .command('read', 'Airbyte: read the streams of --catalog (a configured catalog) from --state')
    .option('config', {
      type: 'string',
      array: true,
      describe: 'Settings file (JSON); repeat to merge, later wins; ENV reads TAP_CRM_* variables',
    })
    .option('catalog', { type: 'string', describe: 'Catalog file selecting streams and fields' })
    .option('properties', { type: 'string', describe: 'Legacy name of --catalog' })
    .option('state', { type: 'string', describe: 'State file from a previous run' })
    .option('discover', { type: 'boolean', describe: 'Singer: print the catalog and exit' })
    .option('about', { type: 'boolean', describe: 'Print name, version, capabilities and settings, then exit' })
    .option('format', { choices: ['json', 'text', 'markdown'] as const, default: 'json' as const, describe: 'Format of --about' })
    .option('test', { type: 'string', describe: 'Singer connection test: one record per stream (or only schemas with --test=schema)' })
    .example('$0 --discover > catalog.json', 'Write the catalog (no config needed)')
    .example('$0 --config config.json --state state.json | target-postgres', 'Sync into a target')
    .example('$0 read --config config.json --catalog configured_catalog.json --state state.json', 'Read as an Airbyte source')
    .strict()
    .version(PACKAGE.version)
    .help()
    .fail((message, error) => {
      // yargs hands over a message, or an error of its own (with an empty message)
      throw new UsageError(`${message || (error as Error | undefined)?.message || 'invalid arguments'}; see tap-crm --help.`);
    })
    .parseSync();
}

/** The protocol of this run: Singer, unless an Airbyte command was given (errors then go out as TRACE ERROR). */
let airbyteWriter: MessageWriter | undefined;

async function main(argv: string[]): Promise<number> {
  run.log.levelFromEnvironment();
  // Meltano's structured logging, from the first line (a usage error included); Airbyte's LOG messages are never structured.
  run.log.setStructured(wantsStructured());
  const args = parseArgs(argv);
  const command = args._[0];
  if (command !== undefined) return airbyte(String(command), args);
  const writer = new MessageWriter(process.stdout, SINGER);
  if (args.about) {
    const info = about();
    const formats = { json: () => JSON.stringify(info, null, 2) + '\n', text: () => aboutText(info), markdown: () => aboutMarkdown(info) };
    await writer.text(formats[args.format]());
  } else if (args.discover) {
    await writer.text(JSON.stringify(discover(await discoveryColumns(args.config, run.log, run.clock)), null, 2) + '\n');
  } else {
    const files = { config: args.config, catalog: args.catalog ?? args.properties, state: args.state };
    await runTap(await readInput({ ...files, parseCatalog, parseState, protocol: 'singer' }, run.log), writer, run, args.test);
  }
  return 0;
}

/** The Airbyte commands: every message on stdout, log lines among them as LOG messages. */
async function airbyte(command: string, args: Args): Promise<number> {
  if (!AIRBYTE_COMMANDS.includes(command)) throw new UsageError(`unknown command "${command}"; see tap-crm --help.`);
  const writer = new MessageWriter(process.stdout, AIRBYTE);
  airbyteWriter = writer;
  run.log.setStructured(false);
  run.log.setSink((text, level) => {
    writer.log(level, text.slice(level.length + 1).trimEnd());
  });
  if (command === 'spec') await writer.text(specMessage());
  else if (command === 'discover') await writer.text(catalogMessage(await discoveryColumns(args.config, run.log, run.clock)));
  else if (command === 'check') await writer.text(airbyteConnectionStatus(await checkFailure(args.config)));
  else {
    const files = { config: args.config, catalog: args.catalog, state: args.state };
    if (!files.catalog) throw new UsageError('read needs --catalog: a configured catalog (see tap-crm discover).');
    run.timing = timingFromEnvironment();
    await runTap(
      await readInput({ ...files, parseCatalog: parseConfiguredCatalog, parseState: parseAirbyteState, protocol: 'airbyte' }, run.log),
      writer,
      run,
    );
  }
  await writer.flush();
  return 0;
}

/**
 * For tests, whose runs cannot wait minutes: TAP_CRM_HEARTBEAT_MS, the heartbeat's interval (signals.ts
 * HEARTBEAT_MS otherwise), and TAP_CRM_RATE_WINDOW_MS, the rate limit's window (a minute otherwise), in ms.
 */
function timingFromEnvironment(): RunHandle['timing'] {
  const ms = (name: string) => {
    const value = Number(process.env[name]);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  };
  return { heartbeatMs: ms('TAP_CRM_HEARTBEAT_MS'), rateWindowMs: ms('TAP_CRM_RATE_WINDOW_MS') };
}

/** Why the settings or the connection fail (the message of a FAILED status), or undefined when both are good. */
async function checkFailure(config: string[] | undefined): Promise<string | undefined> {
  try {
    const { settings } = await readSettings(config, run.log);
    // Refused in a read, so refused here too: the platform's check is where a wrong config should show.
    runMaps(settings, [], 'airbyte', run.log);
    const client = httpClient(settings, run.log, undefined, run.clock);
    try {
      await checkConnection(client, settings);
    } finally {
      client.close();
    }
    return undefined;
  } catch (error) {
    if (error instanceof TapError) return error.message;
    throw error;
  }
}

/**
 * Exits once stdout and stderr are flushed: on Node 22 and later, writes to a pipe are asynchronous, and
 * process.exit() would cut off what is still buffered.
 */
async function exit(code: number, stdoutStuck = false): Promise<never> {
  run.log.flush();
  // A target that holds the pipe but reads no more would hold the exit for ever: not longer than this.
  const outputs = stdoutStuck ? [process.stderr] : [process.stdout, process.stderr];
  await within(Promise.all(outputs.map((out) => allWritten(out))), STOP_WAIT_MS);
  process.exit(code);
}

/**
 * How long an interrupted run waits for the target to take its final STATE (and the lines before it): a
 * platform stopping a container kills it 10 s after SIGTERM (`docker stop`'s default).
 */
const STOP_WAIT_MS = 5_000;

/** Whether `promise` settled within `ms` (false: it did not; it is left to settle or not). */
function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve(false);
    }, ms);
    timer.unref();
    void promise.then(
      () => {
        clearTimeout(timer);
        resolve(true);
      },
      () => {
        clearTimeout(timer);
        resolve(true);
      },
    );
  });
}

/**
 * The run this process makes: its clock and its log (handed down to every module that logs), and the
 * signal handlers end it with the state it has reached.
 */
const run: RunHandle = { clock: systemClock, log: new Logger() };
process.on('exit', () => {
  run.log.flush();
});

function onSignal(signal: NodeJS.Signals, code: number): void {
  process.once(signal, () => {
    run.log.warning(`interrupted by ${signal}; writing the state reached so far and stopping (run again with it to resume)`);
    if (readingFiles()) {
      // Still reading the input (a FIFO whose writer has not come holds a thread that Node's exit would wait
      // for): nothing is written yet; the signal itself ends the process (exit status 128 + its number).
      run.log.flush();
      process.removeAllListeners(signal);
      process.kill(process.pid, signal);
      return;
    }
    const flushed = run.finalState ? run.finalState() : Promise.resolve();
    void within(flushed, STOP_WAIT_MS).then((taken) => {
      if (!taken)
        run.log.critical(
          `the target took no more output for ${STOP_WAIT_MS / 1000} s after ${signal}: stopping without the final STATE; ` +
            'the last STATE the target printed stands (run again with it to resume)',
        );
      return exit(code, !taken);
    });
  });
}

onSignal('SIGTERM', 143);
onSignal('SIGINT', 130);

/** The one place a failure ends the run: what to fix, in the protocol's words, and the exit code. */
function fail(message: string, error: TapError | Error): Promise<never> {
  run.log.critical(message);
  if (run.log.isDebug() && error.stack) run.log.debug(error.stack);
  const failureType = error instanceof TapError ? error.failureType : 'system_error';
  if (airbyteWriter && !airbyteWriter.failed)
    void airbyteWriter.text(airbyteTraceError(message, failureType, run.clock.now())).catch(() => undefined);
  return exit(error instanceof TapError ? error.exitCode : 1);
}

main(hideBin(process.argv)).then(exit, (error: unknown) => {
  if (error instanceof TapError) return fail(error.message, error);
  const e = error instanceof Error ? error : new Error(String(error));
  return fail(`unexpected failure: ${e.message}. Run with log_level DEBUG for details, and ${REPORT}.`, e);
});
