/**
 * What the Airbyte platform reads of a running read besides its records: a RATE_LIMITED stream status when
 * the API answers 429, and a heartbeat, since the platform counts only RECORD and STATE messages as signs of
 * life and a long walk may emit neither (an incremental read walking pages it filters out). The protocol
 * decides whether a message exists (messages.ts): a Singer run writes none of these.
 */
import type { Clock } from '../clock.js';
import type { RequestObserver } from '../api/http.js';
import type { RunProgress } from '../output/progress.js';
import type { MessageWriter } from '../protocol/writer.js';
import type { StateKeeper, TapState } from '../protocol/state.js';

/**
 * One RATE_LIMITED status for each stream of `streams` whose request the API answers 429, once a throttled
 * episode: another is written only after an answer other than 429 ended the episode.
 */
export function rateLimitReporter(writer: MessageWriter, streams: ReadonlySet<string>, clock: Clock): RequestObserver {
  const throttled = new Set<string>();
  return {
    requested(stream, status) {
      if (!streams.has(stream)) return;
      if (status !== 429) {
        if (status !== 0) throttled.delete(stream);
      } else if (!throttled.has(stream)) {
        throttled.add(stream);
        writer.rateLimited(stream, clock.now());
      }
    },
    retried: () => undefined,
  };
}

/** Observers told of every answer and retry in turn. */
export function allObservers(...observers: RequestObserver[]): RequestObserver {
  return {
    requested: (stream, status) => {
      for (const o of observers) o.requested(stream, status);
    },
    retried: (stream) => {
      for (const o of observers) o.retried(stream);
    },
  };
}

/** Without a RECORD or STATE for this long, the heartbeat writes a STATE (checked every HEARTBEAT_MS / 17: at most 3 minutes). */
export const HEARTBEAT_MS = 170_000;

export interface HeartbeatOptions {
  writer: MessageWriter;
  state: StateKeeper;
  /** The state the run started from. */
  initial: TapState;
  /** The streams the run writes, in the catalog's order: the STATE names one of them. */
  streams: readonly string[];
  progress: RunProgress;
  clock: Clock;
  intervalMs?: number;
}

/**
 * A STATE whenever `intervalMs` passed without a RECORD or a STATE. It changes nothing: the state of a
 * stream that has finished, as its last STATE said; else, of a stream not finished yet, the state the run
 * started from (its bookmark moves only once its walk is over, stream-run.ts), never one it has not reached.
 */
export class Heartbeat {
  private readonly intervalMs: number;
  private seen = -1;
  private sinceMs: number;

  constructor(private readonly options: HeartbeatOptions) {
    this.intervalMs = options.intervalMs ?? HEARTBEAT_MS;
    this.sinceMs = options.clock.now();
  }

  /** Checks on a timer until the returned function is called. */
  start(): () => void {
    const timer = setInterval(
      () => {
        void this.tick().catch(() => undefined); // stdout failed: the sync reports it
      },
      Math.max(10, Math.floor(this.intervalMs / 17)),
    );
    timer.unref();
    return () => {
      clearInterval(timer);
    };
  }

  /** Writes the heartbeat STATE when it is due. */
  async tick(): Promise<void> {
    const { writer, clock } = this.options;
    const now = clock.now();
    if (writer.signsOfLife !== this.seen) {
      this.seen = writer.signsOfLife;
      this.sinceMs = now;
      return;
    }
    if (now - this.sinceMs < this.intervalMs) return;
    const beat = this.unchangedState();
    if (!beat) return;
    this.sinceMs = now;
    await writer.state(beat.value, [beat.stream]);
    this.seen = writer.signsOfLife;
  }

  /** A stream's state that says nothing new: a finished stream's as written, else one not finished as the run found it. */
  private unchangedState(): { stream: string; value: TapState } | undefined {
    const { streams, progress, state, initial } = this.options;
    const phase = (stream: string) => progress.stream(stream).phase;
    const finished = streams.find((stream) => phase(stream) === 'synced');
    if (finished !== undefined) return { stream: finished, value: state.value };
    const pending = streams.find((stream) => phase(stream) === 'waiting' || phase(stream) === 'running');
    return pending === undefined ? undefined : { stream: pending, value: initial };
  }
}
