/**
 * The client-side rate limit, shared by every request of the run: at most `limit` requests in any window
 * of `windowMs` as the server counts them. The server counts a request when it arrives, which is some time
 * after we start it and before its answer is back; so a request holds its slot from its start until
 * `windowMs` after its answer, and the server can never see more than `limit` in one window, whatever
 * the latency and its jitter (the cost: one latency per window, well under 1% at a minute).
 * A 429 from the server anyway (its limit is per IP, and other clients may share it:
 * docs/api.md#rate-limit-and-failures) lowers the limit, and the requests the server accepted in the window
 * before it tell what it allows us: up to that level the limit climbs back one request per success, above
 * it by one a window (it probes for more, slowly). A tap sharing the limit with another client, or told
 * more than the server allows, so settles near what it gets instead of provoking 429s again and again.
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
  /** The level the limit climbs back to quickly after a 429: what the server accepted in the window before it. */
  private ceiling: number;
  /** Successes toward the next step above the ceiling (one step per `current` successes: one a window). */
  private credit = 0;
  /** When requests succeeded, oldest first, over the last window (those before `successHead` are older). */
  private successes: number[] = [];
  private successHead = 0;
  private readonly startedAt: number;
  private queue: Promise<void> = Promise.resolve();
  private wakeOnRelease: (() => void) | null = null;

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {
    this.current = limit;
    this.ceiling = limit;
    this.startedAt = clock.now();
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
   * in flight when the server started refusing all answer 429 together: one cut for all of them). Once a
   * whole window has been seen, what the server accepted in the last one is where quick recovery stops.
   */
  throttled(): void {
    const now = this.clock.now();
    if (now - this.lastThrottle < 1000) return;
    this.lastThrottle = now;
    this.current = Math.max(1, Math.floor(this.current * 0.7));
    this.ceiling = now - this.startedAt >= this.windowMs ? Math.max(1, this.recentSuccesses(now)) : this.current;
    this.credit = 0;
  }

  private lastThrottle = -Infinity;

  /** A request succeeded: the limit climbs back, one request per success up to the ceiling, one a window above it. */
  succeeded(): void {
    const now = this.clock.now();
    this.successes.push(now);
    this.recentSuccesses(now); // drops the old ones
    if (this.current >= this.limit) return;
    if (this.current < this.ceiling) {
      this.current++;
    } else if (++this.credit >= this.current) {
      this.current++;
      this.credit = 0;
    }
  }

  /** Requests that succeeded in the window ending now. */
  private recentSuccesses(now: number): number {
    while (this.successHead < this.successes.length && this.successes[this.successHead]! <= now - this.windowMs) this.successHead++;
    if (this.successHead >= 1024 && this.successHead * 2 >= this.successes.length) {
      this.successes = this.successes.slice(this.successHead);
      this.successHead = 0;
    }
    return this.successes.length - this.successHead;
  }
}
