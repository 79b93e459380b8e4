import { expect } from 'chai';
import { arraySlices } from '../../src/records/json-slices.js';

/** The text of each slice that arraySlices finds in the UTF-8 bytes of `text`. */
function texts(text: string, key: string): string[] | undefined {
  const bytes = Buffer.from(text, 'utf8');
  const slices = arraySlices(bytes.toString('latin1'), key);
  return slices?.starts.map((start, i) => bytes.subarray(start, slices.ends[i]).toString('utf8'));
}

describe('json slices: where an array’s elements are in a document’s bytes', () => {
  it('finds each element of the top-level array under the key, whatever the key order', () => {
    const doc = {
      meta: { total_pages: 2 },
      leads: [
        { id: 1, name: 'a' },
        { id: 2, tags: ['x', 'y'], nested: { deep: [1, { z: null }] } },
      ],
      after: true,
    };
    expect(texts(JSON.stringify(doc), 'leads')).to.deep.equal(doc.leads.map((l) => JSON.stringify(l)));
  });

  it('is not misled by brackets, commas, quotes and backslashes inside strings, nor by multi-byte characters', () => {
    const tricky = [
      { id: 1, s: '}],{"leads":[' },
      { id: 2, s: 'a\\' },
      { id: 3, s: '\\"', t: 'Ünïcödé — 漢字 😀' },
      { id: 4, s: '\u0000\n\t' },
    ];
    expect(texts(JSON.stringify({ leads: tricky }), 'leads')).to.deep.equal(tricky.map((t) => JSON.stringify(t)));
  });

  it('takes the top-level key, not the same name nested deeper', () => {
    expect(texts('{"meta":{"leads":[9,8]},"x":[{"leads":[7]}],"leads":[{"id":1}]}', 'leads')).to.deep.equal(['{"id":1}']);
  });

  it('takes the last of a repeated key, as JSON.parse does', () => {
    expect(texts('{"leads":[{"id":1}],"leads":[{"id":2},{"id":3}]}', 'leads')).to.deep.equal(['{"id":2}', '{"id":3}']);
    expect(texts('{"leads":[{"id":1}],"leads":null}', 'leads')).to.equal(undefined);
  });

  it('finds elements of every kind, and none in an empty array', () => {
    expect(texts('{"a":[1,-2.5e3,"s",true,false,null,[1,[2]],{}]}', 'a')).to.deep.equal([
      '1',
      '-2.5e3',
      '"s"',
      'true',
      'false',
      'null',
      '[1,[2]]',
      '{}',
    ]);
    expect(texts('{"a":[]}', 'a')).to.deep.equal([]);
    expect(texts('{"a":[ ]}', 'a')).to.deep.equal([]);
  });

  it('gives no slices where there is no such array, or the key is written with escapes', () => {
    expect(texts('{"meta":{}}', 'leads')).to.equal(undefined);
    expect(texts('{"leads":{"id":1}}', 'leads')).to.equal(undefined);
    expect(texts('[{"leads":[1]}]', 'leads')).to.equal(undefined);
    expect(texts('{"le\\u0061ds":[{"id":1}]}', 'leads')).to.equal(undefined);
    // The same key, written plainly then with an escape: JSON.parse keeps the second array.
    expect(texts('{"leads":[{"id":1}],"le\\u0061ds":[{"id":2}]}', 'leads')).to.equal(undefined);
  });

  it('finds the elements of random documents with random whitespace, each slice parsing to its element', () => {
    let seed = 7;
    const random = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const pick = <T>(items: T[]) => items[Math.floor(random() * items.length)]!;
    const space = () => pick(['', '', ' ', '\n', '\t ', '\r\n  ']);
    const strings = ['', 'plain', 'q"uote', 'back\\slash', '\\', '}{][,:', 'é漢😀', '\u001f'];
    const value = (depth: number): unknown => {
      const kind = depth > 3 ? pick(['n', 's', 'l']) : pick(['n', 's', 'l', 'a', 'o', 'o']);
      if (kind === 'n') return pick([0, -1, 3.25, 1e21, 123456789]);
      if (kind === 's') return pick(strings);
      if (kind === 'l') return pick([true, false, null]);
      if (kind === 'a') return Array.from({ length: Math.floor(random() * 4) }, () => value(depth + 1));
      return Object.fromEntries(Array.from({ length: Math.floor(random() * 4) }, (_, i) => [`${pick(strings)}${i}`, value(depth + 1)]));
    };
    /** JSON text with whitespace between every two tokens. */
    const write = (v: unknown): string => {
      if (Array.isArray(v)) return `[${space()}${v.map((e) => write(e)).join(`${space()},${space()}`)}${space()}]`;
      if (v !== null && typeof v === 'object') {
        return `{${space()}${Object.entries(v)
          .map(([k, e]) => `${JSON.stringify(k)}${space()}:${space()}${write(e)}`)
          .join(`${space()},${space()}`)}${space()}}`;
      }
      return JSON.stringify(v);
    };
    for (let round = 0; round < 200; round++) {
      const elements = Array.from({ length: Math.floor(random() * 6) }, () => value(0));
      const doc = { before: value(1), items: elements, after: value(1) };
      const text = `${space()}${write(doc)}${space()}`;
      expect(JSON.parse(text)).to.deep.equal(doc);
      expect(
        texts(text, 'items')?.map((t) => JSON.parse(t) as unknown),
        text,
      ).to.deep.equal(elements);
    }
  });
});
