/**
 * Events of the last window: a queue of their times, oldest first, dropped from the front as they age
 * out (and compacted now and then), so that adding and counting cost nothing per event kept, however
 * many a window holds. The limiter counts its recent successes with it; the progress display its requests.
 */
export class RecentEvents {
  private times: number[] = [];
  private head = 0;

  constructor(private readonly windowMs: number) {}

  add(now: number): void {
    this.times.push(now);
    this.count(now);
  }

  /** Events in the window ending `now` (those at `now - windowMs` or before are out). */
  count(now: number): number {
    while (this.head < this.times.length && this.times[this.head]! <= now - this.windowMs) this.head++;
    if (this.head >= 1024 && this.head * 2 >= this.times.length) {
      this.times = this.times.slice(this.head);
      this.head = 0;
    }
    return this.times.length - this.head;
  }
}
