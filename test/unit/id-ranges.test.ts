import { expect } from 'chai';
import { decodeIds, encodeIds, rangeId } from '../../src/records/id-ranges.js';

describe('id ranges: the ids a bookmark remembers, as a short text', () => {
  it('writes runs of consecutive ids as a gap and a length, in base 36', () => {
    expect(encodeIds([1n, 2n, 3n, 5n, 9n, 10n])).to.equal('1.2,1,3.1');
    expect(encodeIds([])).to.equal('');
    expect(encodeIds([7n, 7n, 3n])).to.equal('3,3');
    const dense = Array.from({ length: 1000 }, (_, i) => BigInt(i + 1));
    expect(encodeIds(dense)).to.equal(`1.${(999).toString(36)}`);
  });

  it('reads back exactly what it wrote: dense, scattered and past 2^53', () => {
    let x = 99;
    const ids = new Set<bigint>();
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      ids.add(BigInt(i % 2 ? i : x));
    }
    ids.add(9007199254740993n);
    ids.add(18446744073709551615n);
    const sorted = [...ids].sort((a, b) => (a < b ? -1 : 1));
    expect(decodeIds(encodeIds(ids))).to.deep.equal(sorted);
  });

  it('refuses a text that is not one (corrupt, or more ids than any stream holds)', () => {
    for (const text of ['x,', '1.', '-1', '1,,2', 'A', '1.zzzzzzzzzz', '{}']) expect(decodeIds(text), text).to.equal(undefined);
  });

  it('takes non-negative integer ids, and the exact digits of larger ones; no other', () => {
    expect(rangeId(42)).to.equal(42n);
    expect(rangeId('9007199254740993')).to.equal(9007199254740993n);
    for (const other of [-1, 1.5, 'abc', '', 2 ** 60]) expect(rangeId(other), String(other)).to.equal(undefined);
  });
});
