import { expect } from 'chai';
import { startDisplay } from '../../src/output/progress-display.js';
import { RunProgress } from '../../src/output/progress.js';
import { fakeClock } from '../helpers/fake-clock.js';

describe('run progress: what is left, and when it ends', () => {
  it('counts a child read under every parent as a request for each parent record not read yet', () => {
    const clock = fakeClock();
    const progress = new RunProgress(['customers', 'customer_phones'], clock);
    progress.started('customers');
    progress.started('customer_phones');
    // Before the parent announces its records, the child's requests are unknown.
    expect(progress.totals()).to.deep.include({ unknown: 2, pagesLeft: 0 });
    progress.page('customers', 1, { totalPages: 10, totalEntries: 1000 });
    progress.parentsRead('customer_phones', 'customers', 100, true);
    expect(progress.totals()).to.deep.include({ unknown: 0, pagesLeft: 9 + 900 });
    // 909 requests left at the 120 a minute allowed (fewer than the ~180 achieved).
    for (let i = 0; i < 180; i++) {
      progress.requested('customer_phones', 200);
      clock.advance(60_000 / 180);
    }
    expect(progress.etaSeconds(120)).to.be.closeTo((909 / 120) * 60, 0.001);
  });

  it('counts a child read under the parents that changed by what it asked a parent page so far, not a request per parent', () => {
    const progress = new RunProgress(['customers', 'customer_phones'], fakeClock());
    progress.started('customers');
    progress.started('customer_phones');
    // The parent's first two pages (of 10) held 3 changed customers: 3 requests.
    progress.page('customers', 2, { totalPages: 10, totalEntries: 1000 });
    for (let i = 0; i < 3; i++) progress.requested('customer_phones', 200);
    progress.parentsRead('customer_phones', 'customers', 3, false);
    // 8 pages of the parent left, and 1.5 requests a page of it: 12 more for the child, not 997.
    expect(progress.totals()).to.deep.include({ unknown: 0, pagesLeft: 8 + 12 });
  });

  it('reads every time from its clock: a stream’s start and end, the run’s start', () => {
    const clock = fakeClock(5_000);
    const progress = new RunProgress(['leads'], clock);
    expect(progress.startedMs).to.equal(5_000);
    progress.started('leads');
    clock.advance(2_500);
    progress.ended('leads', 'synced');
    expect(progress.stream('leads')).to.deep.include({ startedMs: 5_000, endedMs: 7_500 });
  });

  it('shows a first second’s burst as the requests of the last minute, never more than the limit, and an ETA at the limit', async () => {
    const clock = fakeClock();
    const progress = new RunProgress(['customers'], clock);
    progress.started('customers');
    progress.page('customers', 1, { totalPages: 721 });
    // The limiter lets the minute's 180 requests start at once: all answered in the first 1.2 s.
    for (let i = 0; i < 180; i++) {
      progress.requested('customers', 200);
      clock.advance(1_200 / 180);
    }
    const lines: string[] = [];
    const log = { info: (m: string) => lines.push(m), flush: () => undefined, showBelowLog: () => undefined };
    const stop = startDisplay({ progress, log, allowedPerMinute: () => 180, terminal: false, intervalMs: 5 });
    await new Promise((resolve) => setTimeout(resolve, 30));
    stop();
    expect(lines[0]).to.contain('180 requests in the last minute (limit 180/min)');
    // 720 pages left at 180 a minute: 4 minutes, not 720 / 9000.
    expect(lines[0]).to.contain('ETA 4m00s');
    // A minute later the first second's requests have aged out.
    clock.advance(60_000);
    expect(progress.requestsLastMinute()).to.equal(0);
  });
});
