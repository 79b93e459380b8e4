/**
 * A set of record ids that stays small for the ids a CRM hands out: integers counting up from 1. Integer
 * ids live in bitmaps of 65,536 bits (8 KiB) per range, so a million dense ids take about 128 KiB instead
 * of the ~40 MiB of a Set; a range holds a small Set until it has enough ids to pay for its bitmap, so
 * sparse ids cost no more than a Set. Other ids (strings, negative or huge numbers) go to a plain Set.
 */
const BITS = 16;
const RANGE = 1 << BITS;
const SMALL = 2048; // ids a range holds in a Set before it switches to a bitmap (8 KiB either way)

export class IdSet {
  private readonly ranges = new Map<number, Set<number> | Uint32Array>();
  private readonly others = new Set<unknown>();
  private count = 0;

  get size(): number {
    return this.count;
  }

  has(id: unknown): boolean {
    if (!isCompact(id)) return this.others.has(id);
    const range = this.ranges.get(Math.floor(id / RANGE));
    if (!range) return false;
    const low = id % RANGE;
    return range instanceof Uint32Array ? (range[low >>> 5]! & (1 << (low & 31))) !== 0 : range.has(low);
  }

  /** Its ids: integers by range, then the others, each once. */
  *[Symbol.iterator](): IterableIterator<unknown> {
    for (const [key, range] of this.ranges) {
      const base = key * RANGE;
      if (!(range instanceof Uint32Array)) {
        for (const low of range) yield base + low;
        continue;
      }
      for (let word = 0; word < range.length; word++) {
        const bits = range[word]!;
        if (bits === 0) continue;
        for (let bit = 0; bit < 32; bit++) if ((bits & (1 << bit)) !== 0) yield base + word * 32 + bit;
      }
    }
    yield* this.others;
  }

  /** Adds an id; true when it was not there yet. */
  add(id: unknown): boolean {
    if (!isCompact(id)) {
      if (this.others.has(id)) return false;
      this.others.add(id);
      this.count++;
      return true;
    }
    const key = Math.floor(id / RANGE);
    const low = id % RANGE;
    let range = this.ranges.get(key);
    if (!range) {
      range = new Set<number>();
      this.ranges.set(key, range);
    }
    if (range instanceof Uint32Array) {
      const word = low >>> 5;
      const bit = 1 << (low & 31);
      if ((range[word]! & bit) !== 0) return false;
      range[word]! |= bit;
    } else {
      if (range.has(low)) return false;
      range.add(low);
      if (range.size > SMALL) this.ranges.set(key, toBitmap(range));
    }
    this.count++;
    return true;
  }
}

function isCompact(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0;
}

function toBitmap(ids: Set<number>): Uint32Array {
  const bitmap = new Uint32Array(RANGE / 32);
  for (const low of ids) bitmap[low >>> 5]! |= 1 << (low & 31);
  return bitmap;
}
