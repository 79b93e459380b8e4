import { setSink } from '../../src/output/log.js';

/** Collects the tap's log lines while fn runs. */
export async function captureLog<T>(fn: () => Promise<T>): Promise<{ result?: T; error?: unknown; lines: string[] }> {
  const lines: string[] = [];
  const previous = setSink((line) => lines.push(line));
  try {
    return { result: await fn(), lines };
  } catch (error) {
    return { error, lines };
  } finally {
    setSink(previous);
  }
}
