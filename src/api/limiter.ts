/**
 * The client-side rate limit, shared by every request of the run: at most `limit` requests in any window
 * of `windowMs` as the server counts them. The server counts a request when it arrives, which is some time
 * after we start it and before its answer is back; so a request holds its slot from its start until
 * `windowMs` after its answer, and the server can never see more than `limit` in one window, whatever
 * the latency and its jitter (the cost: one latency per window, well under 1% at a minute). A request the
 * server refused (429) frees its slot at once: it counts what it accepts.
 * A 429 from the server anyway (its limit is per IP, and other clients may share it:
 * docs/api.md#rate-limit-and-failures) tells what the server allows us: the requests it accepted in the
 * window before it. The limit drops to that, then probes for more: one request more after a window
 * without a 429, two after the next, four..., so that a tap sharing the limit with another client, or
 * told more than the server allows, settles near what it gets instead of provoking 429s again and again,
 * and climbs back in a few windows once the other client is gone.
 */
import type { Clock } from '../clock.js';
import { RecentEvents } from '../recent.js';

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
  /** Successes since the last step up; a window's worth of them (`current`) earns `step` requests more. */
  private credit = 0;
  /** Requests gained per window without a 429: 1 after a 429, doubling with each such window. */
  private step = 1;
  /** The requests that succeeded in the last window. */
  private readonly successes: RecentEvents;
  private queue: Promise<void> = Promise.resolve();
  private wakeOnRelease: (() => void) | null = null;

  constructor(
    private readonly limit: number,
    private readonly clock: Clock,
    private readonly windowMs = 60_000,
  ) {
    this.current = limit;
    this.successes = new RecentEvents(windowMs);
  }

  /** The limit in force now: lower than the configured one after a 429 (the progress display shows it). */
  get effectiveLimit(): number {
    return this.current;
  }

  /**
   * Resolves when a request may start, with the function to call once its answer is in (or it failed):
   * `counted` false for an answer the server does not count against its limit (a 429 refused the
   * request, as rate limiters count what they accept). Callers are served in order.
   */
  acquire(): Promise<(counted?: boolean) => void> {
    const turn = this.queue.then(() => this.takeSlot());
    this.queue = turn.then(
      () => undefined,
      () => undefined,
    );
    return turn;
  }

  private async takeSlot(): Promise<(counted?: boolean) => void> {
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
        return (counted = true) => {
          if (!released) this.release(counted);
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

  /** A request's answer is in: its slot frees a window from now, or at once when the server did not count it (a 429). */
  private release(counted: boolean): void {
    this.inFlight--;
    if (counted) this.freesAt.push(this.clock.now() + this.windowMs);
    const wake = this.wakeOnRelease;
    this.wakeOnRelease = null;
    wake?.();
  }

  /**
   * The server answered 429 a request that started at `requestStartedAt`: the limit drops to what the
   * server accepted in the last window (one less at least). Once per round: a request that started before
   * the last drop was already in flight when the server began refusing, and the drop counted it (they
   * all answer 429 together).
   */
  throttled(requestStartedAt: number): void {
    if (requestStartedAt < this.lastThrottle) return;
    const now = this.clock.now();
    this.lastThrottle = now;
    this.current = Math.max(1, Math.min(this.current - 1, this.successes.count(now)));
    this.credit = 0;
    this.step = 1;
  }

  private lastThrottle = -Infinity;

  /** A request succeeded: after a window's worth of successes without a 429, the limit climbs by `step`, which doubles. */
  succeeded(): void {
    this.successes.add(this.clock.now());
    if (this.current >= this.limit || ++this.credit < this.current) return;
    this.current = Math.min(this.limit, this.current + this.step);
    this.step *= 2;
    this.credit = 0;
  }
}
