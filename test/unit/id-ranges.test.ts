import { expect } from 'chai';
import { decodeIds, encodeIds, rangeId } from '../../src/records/id-ranges.js';

describe('id ranges: the ids a bookmark remembers, as a short text', () => {
  it('writes runs of consecutive ids as a gap and a length, in base 36', () => {
    expect(encodeIds([1, 2, 3, 5, 9, 10])).to.equal('1.2,1,3.1');
    expect(encodeIds([])).to.equal('');
    expect(encodeIds([7, 7, 3])).to.equal('3,3');
    const dense = Array.from({ length: 1000 }, (_, i) => i + 1);
    expect(encodeIds(dense)).to.equal(`1.${(999).toString(36)}`);
  });

  it('reads back exactly what it wrote: dense, scattered and past 2^53', () => {
    let x = 99;
    const ids = new Set<number | string>();
    for (let i = 0; i < 5000; i++) {
      x = (x * 1103515245 + 12345) % 2 ** 31;
      ids.add(i % 2 ? i : x);
    }
    // Past 2^53: exact, in order after the numbers, a run across 2^53 included.
    const big = ['9007199254740991', '9007199254740992', '9007199254740993', '18446744073709551615'];
    const sorted = [...ids].sort((a, b) => (a as number) - (b as number));
    const all = [...sorted, Number.MAX_SAFE_INTEGER, ...big.slice(1)];
    expect(decodeIds(encodeIds([...big.slice(1), ...ids, Number.MAX_SAFE_INTEGER]))).to.deep.equal(all);
  });

  it('refuses a text that is not one (corrupt, or more ids than any stream holds)', () => {
    for (const text of ['x,', '1.', '-1', '1,,2', 'A', '1.zzzzzzzzzz', '{}']) expect(decodeIds(text), text).to.equal(undefined);
  });

  it('takes non-negative integer ids, and the exact digits of larger ones; no other', () => {
    expect(rangeId(42)).to.equal(42);
    expect(rangeId('42')).to.equal(42);
    expect(rangeId('9007199254740993')).to.equal('9007199254740993');
    expect(rangeId('09007199254740993')).to.equal('9007199254740993');
    for (const other of [-1, 1.5, 'abc', '', 2 ** 60, null]) expect(rangeId(other), String(other)).to.equal(undefined);
  });
});
