import { Logger } from '../../src/output/log.js';

/**
 * A run's log for tests, its lines kept instead of written (with `secrets` registered, as the command line
 * registers the API key), and `capture`, which collects the lines logged while `fn` runs.
 */
export function testLog(...secrets: string[]) {
  const lines: string[] = [];
  const log = new Logger();
  log.setSink((line) => lines.push(line));
  for (const secret of secrets) log.addSecret(secret);
  async function capture<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: string[] }> {
    const from = lines.length;
    try {
      return { result: await fn(), lines: lines.slice(from) };
    } catch (error) {
      return { error, lines: lines.slice(from) };
    }
  }
  return { log, lines, capture };
}
