import { expect } from 'chai';
import { InFlight } from '../../src/api/in-flight.js';

const tick = () => new Promise((r) => setImmediate(r));

describe('requests in flight: what the rate limit needs at the measured latency', () => {
  it('starts at 4, then keeps rate × latency + 1 in flight, within max_concurrency', () => {
    const slots = new InFlight(16, () => 3); // 180 a minute
    expect(slots.target).to.equal(4);
    slots.observe(2000);
    expect(slots.target).to.equal(7); // 3 × 2 s + 1
    slots.observe(100);
    for (let i = 0; i < 30; i++) slots.observe(100);
    expect(slots.target, 'quick answers: the floor').to.equal(4);
    const capped = new InFlight(6, () => 3);
    for (let i = 0; i < 30; i++) capped.observe(5000);
    expect(capped.target).to.equal(6);
    expect(new InFlight(2, () => 3).target, 'a max_concurrency under the floor').to.equal(2);
  });

  it('follows the rate limit in force (lower after a 429)', () => {
    let perSecond = 3;
    const slots = new InFlight(16, () => perSecond);
    slots.observe(4000);
    expect(slots.target).to.equal(13);
    perSecond = 1;
    expect(slots.target).to.equal(5);
  });

  it('lets a request wait for a slot, and more start as soon as the latency says they are needed', async () => {
    const slots = new InFlight(16, () => 3);
    for (let i = 0; i < 4; i++) await slots.acquire();
    let started = 0;
    const waiting = Array.from({ length: 4 }, () => slots.acquire().then(() => started++));
    await tick();
    expect(started).to.equal(0);
    slots.release();
    await tick();
    expect(started).to.equal(1);
    slots.observe(2000); // now 7 may be in flight: 4 + 3
    await tick();
    expect(started).to.equal(4);
    await Promise.all(waiting);
  });
});
