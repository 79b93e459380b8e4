/**
 * Retry timing: exponential backoff with full jitter (before retry number n, a delay drawn uniformly from
 * 0 to min(cap, base * 2^(n-1))), or the server's Retry-After when it gives one.
 */

export interface BackoffPolicy {
  /** First delay's upper bound, ms. */
  baseMs: number;
  /** Upper bound of any one computed delay, ms. */
  capMs: number;
  /** Attempts in all, the first included. */
  maxAttempts: number;
  /** Longest Retry-After honoured, ms; a longer one is cut to this. */
  maxRetryAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 500, capMs: 30_000, maxAttempts: 8, maxRetryAfterMs: 120_000 };

/** The delay before retry number `attempt` (1 = the first retry). */
export function backoffDelay(policy: BackoffPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.capMs, policy.baseMs * 2 ** (attempt - 1));
  return Math.floor(random() * ceiling);
}

/** Parses Retry-After, in seconds or as an HTTP date; null when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, nowMs: number): number | null {
  if (!value) return null;
  const trimmed = value.trim();
  if (/^\d+(\.\d+)?$/.test(trimmed)) return Math.round(Number(trimmed) * 1000);
  const date = Date.parse(trimmed);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
