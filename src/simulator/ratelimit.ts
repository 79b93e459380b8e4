/** A sliding-window counter of accepted requests: the rate limit, and the peak the stats report. */
export class SlidingWindow {
  /** Acceptance times (ms), oldest first; a ring would be faster, but windows hold at most a few thousand. */
  private times: number[] = [];
  private head = 0;
  peak = 0;

  constructor(public windowMs: number) {}

  private prune(now: number): void {
    while (this.head < this.times.length && (this.times[this.head] as number) <= now - this.windowMs) this.head++;
    if (this.head > 1024 && this.head * 2 > this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
  }

  /** Requests accepted in the window ending now. */
  count(now: number): number {
    this.prune(now);
    return this.times.length - this.head;
  }

  /** Milliseconds until the oldest request in the window leaves it. */
  msUntilSlot(now: number): number {
    this.prune(now);
    const oldest = this.times[this.head];
    return oldest === undefined ? 0 : Math.max(0, oldest + this.windowMs - now);
  }

  record(now: number): void {
    this.prune(now);
    this.times.push(now);
    this.peak = Math.max(this.peak, this.times.length - this.head);
  }

  resetPeak(): void {
    this.peak = 0;
  }
}
