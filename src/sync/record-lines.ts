/**
 * A page's RECORD lines, built in a page worker from copied record bytes and serialised records in page
 * order; and the lines of such output read back in the main thread, one record's (or, with stream maps, one
 * record's several) at a time.
 */
import type { RecordChange, RecordFraming } from '../protocol/messages.js';
import { EMPTY } from './page-spec.js';
import { unmark } from '../records/big-ids.js';

/** How a stream's records are framed: its RECORD framing, and the framing's prefix as bytes. */
export interface LineFraming {
  framing: RecordFraming;
  prefixBytes: Buffer;
}

export class RecordLines {
  private readonly pieces: Uint8Array[] = [];
  private serialised = '';
  private readonly suffix: string;
  private readonly suffixBytes: Buffer;

  constructor(
    private readonly stream: LineFraming,
    private readonly extractedAt: number,
    private page: Buffer,
  ) {
    this.suffix = stream.framing.suffix(extractedAt);
    this.suffixBytes = Buffer.from(this.suffix, 'utf8');
  }

  /** A record written as the page's own bytes from `start` to `end` (in another stream's RECORD with `prefix`). */
  copy(start: number, end: number, prefix = this.stream.prefixBytes): void {
    this.flushSerialised();
    this.pieces.push(prefix, this.page.subarray(start, end), this.suffixBytes);
  }

  /**
   * A record written as the page's own bytes from `start` to `end`, with `members` added after its last
   * (custom field columns); false, writing nothing, where the bytes do not end an object with a member.
   */
  copyAppending(start: number, end: number, members: Record<string, unknown>): boolean {
    const text = JSON.stringify(members);
    const close = lastNonSpace(this.page, start, end);
    const before = close < 0 ? -1 : lastNonSpace(this.page, start, close);
    // `{…}` with a member before the brace (never `{}`), and members to add.
    if (close < 0 || this.page[close] !== 0x7d || before < 0 || this.page[before] === 0x7b || text.length <= 2) return false;
    this.flushSerialised();
    this.pieces.push(this.stream.prefixBytes, this.page.subarray(start, close), Buffer.from(`,${text.slice(1)}`, 'utf8'), this.suffixBytes);
    return true;
  }

  /** The text of the page's bytes from `start` to `end`. */
  text(start: number, end: number): string {
    return this.page.toString('utf8', start, end);
  }

  /** A record's JSON text, in a RECORD of the stream whose line starts with `prefix`. */
  serialisedAs(prefix: string, json: string): void {
    this.serialised += prefix + json + this.suffix;
  }

  serialise(record: Record<string, unknown>, changes: readonly RecordChange[]): void {
    const suffix = changes.length > 0 ? this.stream.framing.suffix(this.extractedAt, changes) : this.suffix;
    this.serialised += this.stream.framing.prefix + JSON.stringify(record) + suffix;
  }

  /** A record holding marked ids (big-ids.ts), their digits written back. */
  serialiseExact(record: Record<string, unknown>, changes: readonly RecordChange[]): void {
    const suffix = changes.length > 0 ? this.stream.framing.suffix(this.extractedAt, changes) : this.suffix;
    this.serialised += this.stream.framing.prefix + unmark(JSON.stringify(record)) + suffix;
  }

  /** The page's RECORD lines; the lines are then done with, and hold the page's bytes no longer. */
  bytes(): Uint8Array {
    this.flushSerialised();
    const lines = this.pieces.length > 0 ? Buffer.concat(this.pieces) : EMPTY;
    this.pieces.length = 0;
    this.page = NO_PAGE;
    return lines;
  }

  private flushSerialised(): void {
    if (this.serialised) this.pieces.push(Buffer.from(this.serialised, 'utf8'));
    this.serialised = '';
  }
}

/** The index of the last byte in [start, end) that is not JSON whitespace; -1 where there is none. */
function lastNonSpace(bytes: Buffer, start: number, end: number): number {
  for (let i = end - 1; i >= start; i--) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x0a && b !== 0x0d && b !== 0x09) return i;
  }
  return -1;
}

/** A page of no bytes, a Buffer as pages are (the same field type: see PageProcessor.lastLines). */
const NO_PAGE = Buffer.alloc(0);

/** Each emitted record's lines: one line each, or as many as `lines` says (stream maps). */
export function recordGroups(out: Uint8Array, lines: readonly number[] | undefined): Uint8Array[] {
  const all = recordLines(out);
  if (!lines) return all;
  let at = 0;
  return lines.map((count) => {
    const group = all.slice(at, at + count);
    at += count;
    return Buffer.concat(group);
  });
}

/** The lines of RECORD output, each with its newline (which JSON never holds unescaped). */
export function recordLines(out: Uint8Array): Uint8Array[] {
  const lines: Uint8Array[] = [];
  for (let start = 0; start < out.length;) {
    const newline = out.indexOf(0x0a, start);
    const end = newline < 0 ? out.length : newline + 1;
    lines.push(out.subarray(start, end));
    start = end;
  }
  return lines;
}
