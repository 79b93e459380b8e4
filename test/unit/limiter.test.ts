import { expect } from 'chai';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter } from '../../src/backoff.js';
import { RateLimiter } from '../../src/limiter.js';
import { fakeClock } from '../helpers/fake-clock.js';

describe('rate limiter (fake clock)', () => {
  it('lets `limit` requests start at once, then one more each time the oldest leaves the window', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(3, clock, 60_000);
    const starts: number[] = [];
    for (let i = 0; i < 7; i++) {
      await limiter.acquire();
      starts.push(clock.now());
    }
    expect(starts).to.deep.equal([0, 0, 0, 60_001, 60_001, 60_001, 120_002]);
  });

  it('never lets more than `limit` starts into any window', async () => {
    const clock = fakeClock(0);
    const limiter = new RateLimiter(10, clock, 1000);
    const starts: number[] = [];
    for (let i = 0; i < 100; i++) {
      clock.advance(Math.floor((i * 37) % 90));
      await limiter.acquire();
      starts.push(clock.now());
    }
    for (const s of starts) expect(starts.filter((t) => t >= s && t < s + 1000).length).to.be.at.most(10);
  });

  it('slows down after a 429 and recovers one step per success', async () => {
    const limiter = new RateLimiter(100, fakeClock(0));
    limiter.throttled();
    expect(limiter.effectiveLimit).to.equal(70);
    limiter.throttled();
    expect(limiter.effectiveLimit).to.equal(49);
    for (let i = 0; i < 10; i++) limiter.succeeded();
    expect(limiter.effectiveLimit).to.equal(59);
    for (let i = 0; i < 100; i++) limiter.succeeded();
    expect(limiter.effectiveLimit).to.equal(100);
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
