/**
 * The client-side rate limit, shared by every request of the run: at most `limit` requests in any window
 * of `windowMs` as the server counts them. The server counts a request when it arrives, which is some time
 * after we start it and before its answer is back; so a request holds its slot from its start until
 * `windowMs` after its answer, and the server can never see more than `limit` in one window, whatever
 * the latency and its jitter (the cost: one latency per window, well under 1% at a minute).
 * A 429 from the server anyway (its limit is per IP, and other clients may share it:
 * docs/api.md#rate-limit-and-failures) lowers the limit;
 * each success raises it back by one, up to the configured one.
 */
import type { Clock } from './clock.js';

export class RateLimiter {
  /** Requests started and not yet answered: each holds a slot. */
  private inFlight = 0;
  /**
   * When the slots of answered requests free (`windowMs` after each answer), oldest first; those before
   * `head` have freed. A queue, not a list filtered on every request: a fast endpoint with a high limit
   * has tens of thousands of requests in one window.
   */
  private freesAt: number[] = [];
  private head = 0;
  private current: number;
  private queue: Promise<void> = Promise.resolve();
  private wakeOnRelease: (() => void) | null = null;

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {
    this.current = limit;
  }

  /** The limit in force now: lower than the configured one after a 429 (the progress display shows it). */
  get effectiveLimit(): number {
    return this.current;
  }

  /**
   * Resolves when a request may start, with the function to call once its answer is in (or it failed).
   * Callers are served in order.
   */
  acquire(): Promise<() => void> {
    const turn = this.queue.then(() => this.takeSlot());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async takeSlot(): Promise<() => void> {
    for (;;) {
      const now = this.clock.now();
      while (this.head < this.freesAt.length && this.freesAt[this.head]! <= now) this.head++;
      if (this.head >= 1024 && this.head * 2 >= this.freesAt.length) {
        this.freesAt = this.freesAt.slice(this.head);
        this.head = 0;
      }
      const answered = this.freesAt.length - this.head;
      const held = this.inFlight + answered;
      if (held < this.current) {
        this.inFlight++;
        let released = false;
        return () => {
          if (!released) this.release();
          released = true;
        };
      }
      // Wait for the slot whose freeing brings the count under the limit: the answered ones free in order
      // (out of order only if the system clock stepped back: then no sooner than the oldest), those in
      // flight only a window after their answer.
      const needed = held - this.current;
      if (needed < answered) await this.clock.sleep(Math.max(this.freesAt[this.head + needed]!, this.freesAt[this.head]!) - now);
      else await new Promise<void>((resolve) => (this.wakeOnRelease = resolve));
    }
  }

  /** A request's answer is in: its slot frees a window from now. */
  private release(): void {
    this.inFlight--;
    this.freesAt.push(this.clock.now() + this.windowMs);
    const wake = this.wakeOnRelease;
    this.wakeOnRelease = null;
    wake?.();
  }

  /**
   * The server answered 429: slow down to 70% of the current limit, once a second at most (the requests
   * in flight when the server started refusing all answer 429 together: one cut for all of them).
   */
  throttled(): void {
    const now = this.clock.now();
    if (now - this.lastThrottle < 1000) return;
    this.lastThrottle = now;
    this.current = Math.max(1, Math.floor(this.current * 0.7));
  }

  private lastThrottle = -Infinity;

  /** A request succeeded: the limit climbs back by one request per success, up to the configured one. */
  succeeded(): void {
    if (this.current < this.limit) this.current++;
  }
}
