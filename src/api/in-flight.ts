/**
 * How many requests may be in flight at once: as many as the rate limit needs at the latency the answers
 * take, between a floor and `max` (max_concurrency). With R requests a second allowed and answers taking
 * L seconds, R × L requests are in flight when the limit is used whole; one more covers the jitter. At
 * 180 a minute and 2 s answers that is 3 × 2 + 1 = 7; at 100 ms answers, the floor. Slow answers (heavy
 * pages) get more in flight so that the limit is still used, quick ones no more connections than needed.
 */

/** In flight before any answer has been timed, and at least ever (unless max_concurrency is lower). */
const FLOOR = 4;
/** Weight of the newest answer in the latency average: about the last ten answers count. */
const WEIGHT = 0.2;

export class InFlight {
  private count = 0;
  private readonly waiting: (() => void)[] = [];
  private latencyMs: number | undefined;

  constructor(
    private readonly max: number,
    /** Requests a second the rate limit allows now. */
    private readonly perSecond: () => number,
  ) {}

  /** Requests in flight the rate limit needs now, within bounds. */
  get target(): number {
    const floor = Math.min(FLOOR, this.max);
    if (this.latencyMs === undefined) return floor;
    const needed = Math.ceil((this.perSecond() * this.latencyMs) / 1000) + 1;
    return Math.min(this.max, Math.max(floor, needed));
  }

  /** Resolves when a request may start; call `release` once it is over. */
  async acquire(): Promise<void> {
    if (this.count < this.target && this.waiting.length === 0) {
      this.count++;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  release(): void {
    this.count--;
    this.wake();
  }

  /** An answer came after `ms`: the latency average moves toward it, and the target with it. */
  observe(ms: number): void {
    this.latencyMs = this.latencyMs === undefined ? ms : this.latencyMs + (ms - this.latencyMs) * WEIGHT;
    this.wake();
  }

  private wake(): void {
    while (this.count < this.target && this.waiting.length > 0) {
      this.count++;
      this.waiting.shift()!();
    }
  }
}
