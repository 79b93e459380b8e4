#!/usr/bin/env node
/** crm-simulator: serves the simulated CRM API until SIGINT/SIGTERM. */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { startSimulator } from './server.js';
import { STREAM_NAMES, type FaultKind } from './types.js';

/** One line on stderr, then exit: 2 for bad flags or option values, 1 for anything else (a port in use). */
function fail(message: string, code = 2): never {
  process.stderr.write(
    `crm-simulator: ${message
      .replace(/^crm-simulator: /, '')
      .replace(/\s*\n\s*/g, ' ')
      .trim()}\n`,
  );
  process.exit(code);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('crm-simulator')
    .usage('$0 [options]: a local simulator of the Syncro / RepairShopr REST API v1')
    .options({
      host: { type: 'string', default: '127.0.0.1', describe: 'Address to listen on' },
      port: { type: 'number', default: 8787, describe: 'Port (0 = any free port)' },
      records: {
        type: 'number',
        default: 5000,
        describe: `Records over the ${STREAM_NAMES.length} list streams (the lists under a record come on top)`,
      },
      seed: { type: 'number', default: 1, describe: 'Seed of the generated data and faults' },
      rpm: { type: 'number', default: 180, describe: 'Requests per window (0 = no limit)' },
      'window-ms': { type: 'number', default: 60000, describe: 'Rate-limit window in ms' },
      'retry-after': { choices: ['always', 'never', 'mixed'] as const, default: 'mixed' as const, describe: 'Retry-After on 429' },
      'fail-rate': { type: 'number', default: 0, describe: 'Probability (0..1) of a fault per API request' },
      faults: { type: 'string', describe: 'Comma list of fault kinds: 500,502,503,504,reset,truncated,stall,html200' },
      'latency-ms': { type: 'number', default: 0, describe: 'Delay before every API response' },
      'stall-ms': { type: 'number', default: 120000, describe: 'How long a stall fault holds its response' },
      'echo-request': { type: 'boolean', default: false, describe: '5xx bodies echo the request, headers included' },
      'cache-mb': { type: 'number', default: 256, describe: 'Bound of the rendered-page cache, MiB' },
      drift: { type: 'number', default: 0, describe: 'Share (0..1) of records served with one value of another type' },
    })
    .strict()
    .version(false)
    .help()
    .fail((msg, err) => fail(msg || (err as Error | undefined)?.message || 'bad arguments'))
    .parseAsync();

  for (const k of ['port', 'records', 'seed', 'rpm', 'window-ms', 'fail-rate', 'latency-ms', 'stall-ms', 'cache-mb', 'drift'] as const) {
    if (Number.isNaN(argv[k])) fail(`--${k} must be a number`);
  }
  const faults =
    argv.faults === undefined
      ? undefined
      : (argv.faults
          .split(',')
          .map((f) => f.trim())
          .filter(Boolean) as FaultKind[]);
  let sim;
  try {
    sim = await startSimulator({
      host: argv.host,
      port: argv.port,
      records: argv.records,
      seed: argv.seed,
      rpm: argv.rpm,
      windowMs: argv['window-ms'],
      retryAfter: argv['retry-after'],
      failRate: argv['fail-rate'],
      ...(faults ? { faults } : {}),
      latencyMs: argv['latency-ms'],
      stallMs: argv['stall-ms'],
      echoRequest: argv['echo-request'],
      cacheBytes: argv['cache-mb'] * 1024 * 1024,
      drift: argv.drift,
    });
  } catch (e) {
    fail(e instanceof Error ? e.message : String(e), e instanceof RangeError ? 2 : 1);
  }
  process.stdout.write(
    `crm-simulator: base_url=${sim.baseUrl} api_key=${sim.apiKey} limited_api_key=${sim.limitedApiKey} records=${argv.records} seed=${argv.seed}\n`,
  );
  const stop = (): void => {
    void sim.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

void main();
