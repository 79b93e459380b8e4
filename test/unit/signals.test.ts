/**
 * What the Airbyte platform reads of a running read besides records (src/sync/signals.ts): one RATE_LIMITED
 * status a throttled episode, and the heartbeat STATE, timed with a fake clock.
 */
import { expect } from 'chai';
import { PassThrough } from 'node:stream';
import { AIRBYTE, SINGER } from '../../src/protocol/messages.js';
import { MessageWriter } from '../../src/protocol/writer.js';
import { RunProgress } from '../../src/output/progress.js';
import { stateKeeper, type TapState } from '../../src/protocol/state.js';
import { Heartbeat, rateLimitReporter } from '../../src/sync/signals.js';
import { fakeClock } from '../helpers/fake-clock.js';

/** A writer in `protocol` whose lines are kept, parsed. */
function capture(protocol = AIRBYTE) {
  const out = new PassThrough();
  const lines: Record<string, unknown>[] = [];
  let partial = '';
  out.on('data', (chunk: Buffer) => {
    const parts = (partial + chunk.toString()).split('\n');
    partial = parts.pop()!;
    for (const part of parts) lines.push(JSON.parse(part) as Record<string, unknown>);
  });
  return { writer: new MessageWriter(out, protocol), lines, settle: () => new Promise((resolve) => setImmediate(resolve)) };
}

const statesIn = (lines: Record<string, unknown>[]) =>
  lines
    .filter((l) => l.type === 'STATE')
    .map((l) => (l.state as { stream: { stream_descriptor: { name: string }; stream_state: unknown } }).stream)
    .map((s) => [s.stream_descriptor.name, s.stream_state]);

describe('signals: RATE_LIMITED statuses', () => {
  it('one a throttled episode per stream of the read; another after an answer that is not 429 ended it', async () => {
    const { writer, lines, settle } = capture();
    const observer = rateLimitReporter(writer, new Set(['tickets', 'leads']), fakeClock());
    for (const [stream, status] of [
      ['tickets', 429],
      ['tickets', 429],
      ['leads', 429],
      ['tickets', 0], // no answer: the episode goes on
      ['tickets', 429],
      ['products', 429], // not written by the read (a parent walked for its children)
      ['tickets', 200],
      ['tickets', 429],
      ['leads', 429],
    ] as const)
      observer.requested(stream, status);
    await settle();
    const named = lines.map(
      (l) => (l.trace as { stream_status: { stream_descriptor: { name: string } } }).stream_status.stream_descriptor.name,
    );
    expect(named).to.deep.equal(['tickets', 'leads', 'tickets']);
  });

  it('writes nothing in Singer', async () => {
    const { writer, lines, settle } = capture(SINGER);
    rateLimitReporter(writer, new Set(['tickets']), fakeClock()).requested('tickets', 429);
    await settle();
    expect(lines).to.deep.equal([]);
  });
});

describe('signals: the heartbeat', () => {
  const initial: TapState = {
    bookmarks: { tickets: { replication_key: 'updated_at', replication_key_value: '2026-01-01T00:00:00.000Z' } },
  };

  function setup(streams = ['tickets', 'leads']) {
    const clock = fakeClock();
    const { writer, lines, settle } = capture();
    const state = stateKeeper(initial);
    const progress = new RunProgress(streams, clock);
    const heartbeat = new Heartbeat({ writer, state, initial, streams, progress, clock, intervalMs: 1000 });
    return { clock, writer, lines, settle, state, progress, heartbeat };
  }

  it('a STATE once the interval passed without a RECORD or STATE, and not before; a RECORD page or a STATE puts it off', async () => {
    const { clock, writer, lines, settle, state, heartbeat } = setup();
    await heartbeat.tick();
    clock.advance(999);
    await heartbeat.tick();
    expect(lines).to.deep.equal([]);
    clock.advance(1);
    await heartbeat.tick();
    await settle();
    expect(statesIn(lines)).to.deep.equal([['tickets', initial.bookmarks.tickets]]);
    // A page of records: the next one is due an interval after it was seen.
    clock.advance(500);
    await writer.lines(Buffer.from('{"type":"RECORD","record":{"stream":"tickets","data":{"id":1},"emitted_at":1}}\n'));
    await heartbeat.tick();
    clock.advance(999);
    await heartbeat.tick();
    await settle();
    expect(statesIn(lines)).to.have.length(1);
    clock.advance(1);
    await heartbeat.tick();
    // A STATE of the run's own puts it off too.
    clock.advance(600);
    await writer.state(state.value, ['leads']);
    await heartbeat.tick();
    clock.advance(999);
    await heartbeat.tick();
    await settle();
    expect(statesIn(lines).map(([name]) => name)).to.deep.equal(['tickets', 'tickets', 'leads']);
  });

  it('never a state the run has not reached: a running stream’s as the run found it, though its bookmark moved; a finished stream’s as written', async () => {
    const { clock, lines, settle, state, progress, heartbeat } = setup();
    progress.started('tickets');
    // The walk is over and the bookmark moved, its STATE not yet written (stream-run.ts finish): not announced early.
    state.value.bookmarks.tickets = { replication_key: 'updated_at', replication_key_value: '2026-06-01T00:00:00.000Z' };
    await heartbeat.tick();
    clock.advance(1000);
    await heartbeat.tick();
    await settle();
    expect(statesIn(lines)).to.deep.equal([['tickets', initial.bookmarks.tickets]]);
    // leads finished and wrote its state: the heartbeat repeats it.
    state.value.bookmarks.leads = { replication_key: 'updated_at', replication_key_value: '2026-05-01T00:00:00.000Z' };
    progress.ended('leads', 'synced');
    clock.advance(1000);
    await heartbeat.tick();
    await settle();
    expect(statesIn(lines).at(-1)).to.deep.equal(['leads', state.value.bookmarks.leads]);
  });

  it('starts a timer that stops, and writes nothing when every stream failed', async () => {
    const { clock, lines, settle, progress, heartbeat } = setup(['tickets']);
    progress.ended('tickets', 'failed');
    await heartbeat.tick();
    clock.advance(5000);
    await heartbeat.tick();
    await settle();
    expect(lines).to.deep.equal([]);
    const stop = heartbeat.start();
    stop();
  });
});
