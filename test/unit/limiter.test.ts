import { expect } from 'chai';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from '../../src/api/backoff.js';
import { RateLimiter } from '../../src/api/limiter.js';
import { fakeClock } from '../helpers/fake-clock.js';

describe('rate limiter (fake clock)', () => {
  it('lets `limit` requests start at once, then one more a window after each answer', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(3, clock, 60_000);
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      const release = await limiter.acquire();
      starts.push(clock.now());
      clock.advance(100); // the answer takes 100 ms
      release();
    }
    expect(starts).to.deep.equal([0, 100, 200, 60_100, 60_200, 60_300, 120_200]);
  });

  it('keeps every window, as the server counts arrivals between start and answer, at or under the limit', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(10, clock, 1000);
    const spans: [number, number][] = [];
    for (let i = 0; i < 100; i++) {
      clock.advance(Math.floor((i * 37) % 90));
      const release = await limiter.acquire();
      const start = clock.now();
      clock.advance((i * 53) % 200); // latencies from 0 to 199 ms
      spans.push([start, clock.now()]);
      release();
    }
    // Whatever the moment of arrival within [start, answer], no window of 1000 ms holds more than 10.
    for (const [, end] of spans) {
      const overlapping = spans.filter(([s, e]) => e > end - 1000 && s <= end).length;
      expect(overlapping).to.be.at.most(10);
    }
  });

  it('keeps the count over thousands of requests a window (the queue of freed slots is compacted as it goes)', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(1500, clock, 1000);
    const starts: number[] = [];
    for (let i = 0; i < 6000; i++) {
      const release = await limiter.acquire();
      starts.push(clock.now());
      release();
    }
    // 1500 at once, then each slot again a window after its (instant) answer: 1500 per window exactly.
    expect([starts[0], starts[1499], starts[1500], starts[2999], starts[3000], starts[5999]]).to.deep.equal([0, 0, 1000, 1000, 2000, 3000]);
  });

  it('waits until the oldest answered slot frees, without spinning, when the system clock stepped back', async () => {
    const clock = fakeClock(10_000);
    const limiter = new RateLimiter(2, clock, 1000);
    (await limiter.acquire())(); // frees at 11_000
    clock.advance(-5000); // the system clock is set back
    (await limiter.acquire())(); // frees at 6_000, queued after the one at 11_000
    limiter.throttled(clock.now()); // a 429 (nothing succeeded yet): one slot now, two held
    await limiter.acquire();
    expect(clock.sleeps).to.deep.equal([6000]);
    expect(clock.now()).to.equal(11_000);
  });

  it('waits for an answer when every slot is held by a request in flight', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(1, clock, 1000);
    const release = await limiter.acquire();
    let second = false;
    const next = limiter.acquire().then(() => (second = true));
    await new Promise((r) => setImmediate(r));
    expect(second).to.equal(false);
    release();
    await next;
    expect(clock.now()).to.equal(1000);
  });

  it('drops after a 429 to what the server accepted in the last window, once for the requests already in flight', () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(100, clock, 60_000);
    for (let i = 0; i < 40; i++) limiter.succeeded();
    clock.advance(1000);
    limiter.throttled(500);
    expect(limiter.effectiveLimit).to.equal(40);
    limiter.throttled(900); // started before that drop: in flight when the server began refusing
    expect(limiter.effectiveLimit).to.equal(40);
    clock.advance(100);
    limiter.throttled(1050); // started after it: another round of refusals
    expect(limiter.effectiveLimit).to.equal(39);
  });

  it('forgets successes older than a window when it drops', () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(100, clock, 60_000);
    for (let i = 0; i < 30; i++) limiter.succeeded();
    clock.advance(61_000);
    for (let i = 0; i < 5; i++) limiter.succeeded();
    limiter.throttled(clock.now());
    expect(limiter.effectiveLimit).to.equal(5);
  });

  it('probes for more after a 429: one more after a window of successes, two after the next, then four...', () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(100, clock, 60_000);
    for (let i = 0; i < 10; i++) limiter.succeeded();
    limiter.throttled(clock.now());
    expect(limiter.effectiveLimit).to.equal(10);
    const climb: number[] = [];
    for (let window = 0; window < 4; window++) {
      for (let i = limiter.effectiveLimit; i > 0; i--) limiter.succeeded();
      climb.push(limiter.effectiveLimit);
    }
    expect(climb).to.deep.equal([11, 13, 17, 25]);
    clock.advance(1);
    limiter.throttled(clock.now());
    const dropped = limiter.effectiveLimit;
    for (let i = dropped; i > 0; i--) limiter.succeeded();
    expect(limiter.effectiveLimit, 'back to steps of one after the next 429').to.equal(dropped + 1);
  });

  it('never climbs above the configured limit', () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(12, clock, 60_000);
    for (let i = 0; i < 10; i++) limiter.succeeded();
    limiter.throttled(clock.now());
    for (let i = 0; i < 200; i++) limiter.succeeded();
    expect(limiter.effectiveLimit).to.equal(12);
  });
});

describe('backoff schedule', () => {
  it('draws from 0 to base * 2^(attempt-1), capped (full jitter)', () => {
    const top = (attempt: number) => backoffDelay(DEFAULT_BACKOFF, attempt, () => 0.999999);
    expect([1, 2, 3, 4, 5, 6, 7, 8].map(top)).to.deep.equal([499, 999, 1999, 3999, 7999, 15999, 29999, 29999]);
    expect(backoffDelay(DEFAULT_BACKOFF, 3, () => 0)).to.equal(0);
  });

  it('reads Retry-After as seconds or an HTTP date, and ignores garbage', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    expect(parseRetryAfter('5', now)).to.equal(5000);
    expect(parseRetryAfter('1.5', now)).to.equal(1500);
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).to.equal(30_000);
    expect(parseRetryAfter('Wed, 31 Dec 2025 00:00:30 GMT', now)).to.equal(0);
    expect(parseRetryAfter('soon', now)).to.equal(null);
    expect(parseRetryAfter(null, now)).to.equal(null);
  });
});
