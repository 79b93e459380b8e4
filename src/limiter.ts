/**
 * The client-side rate limit, shared by every request of the run: at most `limit` request starts in any
 * window of `windowMs`. A 429 from the server anyway (its limit is per IP, and other clients may share it)
 * lowers the limit; successes raise it back step by step to the configured one.
 */
import type { Clock } from './clock.js';

export class RateLimiter {
  private readonly starts: number[] = [];
  private current: number;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {
    this.current = limit;
  }

  /** The limit in force now (lower than the configured one after a 429). */
  get effectiveLimit(): number {
    return this.current;
  }

  /** Resolves when a request may start, and counts it. Callers are served in order. */
  acquire(): Promise<void> {
    const turn = this.queue.then(() => this.waitForSlot());
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  private async waitForSlot(): Promise<void> {
    for (;;) {
      const now = this.clock.now();
      while (this.starts.length > 0 && this.starts[0]! <= now - this.windowMs) this.starts.shift();
      if (this.starts.length < this.current) {
        this.starts.push(now);
        return;
      }
      const oldestLeaves = this.starts[this.starts.length - this.current]! + this.windowMs;
      await this.clock.sleep(oldestLeaves - now + 1);
    }
  }

  /** The server answered 429: slow down to 70% of the current limit. */
  throttled(): void {
    this.current = Math.max(1, Math.floor(this.current * 0.7));
  }

  /** A request succeeded: recover by one request per window, up to the configured limit. */
  succeeded(): void {
    if (this.current < this.limit) this.current++;
  }
}
