import type { Clock } from '../../src/clock.js';

/** A clock whose sleeps return at once and move time forward; `sleeps` records every wait asked for. */
export function fakeClock(start = 1_000_000): Clock & { sleeps: number[]; advance(ms: number): void } {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    advance(ms) {
      now += ms;
    },
    async sleep(ms) {
      sleeps.push(ms);
      now += Math.max(0, ms);
    },
  };
}
