/**
 * The message writer: the only code that writes to stdout. One line per message, in the run's protocol
 * (Singer or Airbyte: shapes in messages.ts);
 * a page of RECORD lines (framed by the page workers) goes out as one write; when the stream's buffer is
 * full, writers wait for 'drain', so a slow target slows the tap down instead of filling its memory. A
 * closed stdout (the target died) fails every later write at once.
 */
import type { Writable } from 'node:stream';
import type { SelectedStream } from './catalog.js';
import { TapError } from '../errors.js';
import type { Level } from '../output/log.js';
import { SINGER, type Protocol, type SchemaView, type StreamStatus } from './messages.js';
import type { TapState } from './state.js';

export class MessageWriter {
  private drained: Promise<void> | null = null;
  private failure: TapError | null = null;
  /** The run was interrupted and its last STATE written: nothing may follow it. */
  private sealed = false;
  /** RECORD pages and STATE messages written so far: what the Airbyte platform counts as a sign of life (the heartbeat: signals.ts). */
  private beats = 0;

  constructor(
    private readonly out: Writable,
    readonly protocol: Protocol = SINGER,
  ) {
    out.on('error', (error: NodeJS.ErrnoException) => {
      this.failure = new TapError(
        `stdout failed (${error.code ?? error.message}): the target stopped reading; see the target's log for why.`,
      );
    });
  }

  schema(selected: SelectedStream, view?: SchemaView): Promise<void> {
    return this.writeIf(this.protocol.schema(selected, view));
  }

  /** Text already in the protocol's shape (a catalog, a specification), written as it is. */
  text(text: string): Promise<void> {
    return this.write(text);
  }

  /** Lines already serialised (RECORDs made by a page worker), written as they are. */
  async lines(chunk: Uint8Array): Promise<void> {
    if (chunk.byteLength > 0) {
      this.beats++;
      await this.write(chunk);
    } else this.check();
  }

  /** How many RECORD pages and STATE messages have been written. */
  get signsOfLife(): number {
    return this.beats;
  }

  activateVersion(stream: string, version: number): Promise<void> {
    return this.writeIf(this.protocol.activateVersion(stream, version));
  }

  streamStatus(stream: string, status: StreamStatus, emittedAtMs: number): Promise<void> {
    return this.writeIf(this.protocol.streamStatus(stream, status, emittedAtMs));
  }

  /** How many records a stream is about to emit, where the protocol says so (Airbyte's ESTIMATE). */
  estimate(stream: string, rows: number, emittedAtMs: number): Promise<void> {
    return this.writeIf(this.protocol.estimate(stream, rows, emittedAtMs));
  }

  /** The API answered a request of `stream` 429, where the protocol says so; not waiting, as log(). */
  rateLimited(stream: string, emittedAtMs: number): void {
    this.writeNow(this.protocol.rateLimited(stream, emittedAtMs));
  }

  /**
   * A log line on stdout where the protocol carries logs (Airbyte), without waiting for the consumer: log
   * lines are few and small. Nothing once stdout has failed.
   */
  log(level: Level, message: string): void {
    this.writeNow(this.protocol.log(level, message));
  }

  private writeNow(text: string | undefined): void {
    if (text !== undefined && !this.failure && !this.sealed && !this.out.destroyed) this.out.write(text);
  }

  /** The error that closed stdout, if it is closed: the run cannot go on. */
  get failed(): TapError | null {
    return this.failure;
  }

  /** The state after `streams` finished, or at the end of the run (`streams`: those the run writes). */
  state(value: TapState, streams: readonly string[]): Promise<void> {
    this.beats++;
    return this.write(this.protocol.state(value, streams));
  }

  /**
   * The last message of an interrupted run: the state reached, after which every write is dropped, so
   * that pages still in flight cannot follow it (a run stopped by a signal ends with the STATE that
   * covers all it wrote).
   */
  finalState(value: TapState, streams: readonly string[]): Promise<void> {
    const last = this.write(this.protocol.state(value, streams));
    this.sealed = true;
    return last;
  }

  /** Resolves once everything written so far has been handed to the operating system. */
  async flush(): Promise<void> {
    this.check();
    await allWritten(this.out);
    this.check();
  }

  private writeIf(text: string | undefined): Promise<void> {
    return text === undefined ? Promise.resolve() : this.write(text);
  }

  private async write(chunk: string | Uint8Array): Promise<void> {
    if (this.sealed) return;
    this.check();
    if (!this.out.write(chunk)) await this.waitForDrain();
    this.check();
  }

  private waitForDrain(): Promise<void> {
    this.drained ??= new Promise<void>((resolve) => {
      const done = () => {
        this.out.off('drain', done);
        this.out.off('error', done);
        this.out.off('close', done);
        this.drained = null;
        resolve();
      };
      this.out.on('drain', done);
      this.out.on('error', done);
      this.out.on('close', done);
    });
    return this.drained;
  }

  private check(): void {
    if (this.failure) throw this.failure;
  }
}

/**
 * Resolves once every byte written to `out` so far has been handed to the operating system, or `out`
 * has failed. Not 'drain': a stream emits it only after a write was refused, so a few bytes still
 * queued behind a full pipe (the last STATE, a log line) would never resolve a wait for it.
 */
export function allWritten(out: Writable): Promise<void> {
  if (out.writableLength === 0 || out.destroyed) return Promise.resolve();
  // An empty write completes after those queued before it.
  return new Promise((resolve) =>
    out.write(NOTHING, () => {
      resolve();
    }),
  );
}

const NOTHING = new Uint8Array(0);
