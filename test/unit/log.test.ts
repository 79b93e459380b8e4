import { expect } from 'chai';
import { Logger, Redactor } from '../../src/output/log.js';

/** What a Logger writes to its stderr, write by write, while `fn` runs. */
async function stderrWrites(fn: (log: Logger, writes: readonly string[]) => Promise<void>): Promise<string[]> {
  const writes: string[] = [];
  const log = new Logger({ write: (chunk: string) => writes.push(chunk) });
  await fn(log, writes);
  return writes;
}

describe('log: lines to stderr', () => {
  it('holds INFO and METRIC lines and writes them together, in order', async () => {
    const writes = await stderrWrites(async (log, sofar) => {
      log.info('one');
      log.metric({ type: 'counter', metric: 'record_count', value: 2, tags: { stream: 'leads' } });
      log.info('three');
      expect(sofar).to.deep.equal([]); // nothing written yet
      await new Promise((resolve) => setTimeout(resolve, 250));
    });
    expect(writes).to.deep.equal([
      'INFO one\nINFO METRIC: {"type":"counter","metric":"record_count","value":2,"tags":{"stream":"leads"}}\nINFO three\n',
    ]);
  });

  it('writes a WARNING or worse at once, after the lines held before it', async () => {
    const writes = await stderrWrites(async (log) => {
      log.info('before');
      log.warning('careful');
      log.critical('stop');
    });
    expect(writes).to.deep.equal(['INFO before\nWARNING careful\n', 'CRITICAL stop\n']);
  });

  it('writes what it holds when asked (the cli does before it exits)', async () => {
    const writes = await stderrWrites(async (log) => {
      log.info('last words');
      log.flush();
    });
    expect(writes).to.deep.equal(['INFO last words\n']);
  });
});

describe('log: secrets masked', () => {
  const lines = (key: string) => [
    `setting "x" is not a tap-crm setting; ignored (check its spelling), working`,
    `GET /me?api_key=${encodeURIComponent(key)}&page=1`,
    `Authorization: ${key}`,
    `{"user_token":"${key}"}`,
    `Bearer ${key}.`,
  ];

  for (const key of ['o', 'k&=', 'e', 'x'.repeat(20) + '+/=!~' + 'Y9'.repeat(7) + 'z']) {
    it(`masks a ${key.length}-character key where it stands as a value, and no word around it`, () => {
      const redactor = new Redactor();
      redactor.add(key);
      const out = lines(key).map((l) => redactor.redact(l));
      expect(out[0]).to.equal(lines(key)[0]); // "check", "spelling", "working" untouched
      expect(out.slice(1)).to.deep.equal(['GET /me?api_key=***&page=1', 'Authorization: ***', '{"user_token":"***"}', 'Bearer ***.']);
    });
  }

  it('masks a key in every encoding a line can carry: a query string’s (+ and %28), lower-case hex, base64', () => {
    const key = "KEY zz9(SECRET)!~'*";
    const redactor = new Redactor();
    redactor.add(key);
    const query = new URLSearchParams({ api_key: key }).toString();
    expect(query).to.equal('api_key=KEY+zz9%28SECRET%29%21%7E%27*');
    for (const line of [
      `GET /me?${query}&page=1: HTTP 500`,
      `GET /me?${query.replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`,
      `GET /me?api_key=${encodeURIComponent(key)}`,
      `GET /me?api_key=${encodeURIComponent(key).replace(/%[0-9A-F]{2}/g, (h) => h.toLowerCase())}`,
      `token ${Buffer.from(key).toString('base64')}`,
      `Authorization: Basic ${Buffer.from(`${key}:`).toString('base64')}`,
    ]) {
      const out = redactor.redact(line);
      expect(out, line).to.include('***');
      expect(out, line).not.to.include('SECRET').and.not.to.include('zz9');
      expect(out, line).not.to.include(Buffer.from(key).toString('base64').slice(0, 12));
    }
  });

  it('masks a long key even inside other text', () => {
    const redactor = new Redactor();
    const key = 'sim-key-full-0123456789abcdef';
    redactor.add(key);
    expect(redactor.redact(`x${key}y`)).to.equal('x***y');
  });
});
