import { expect } from 'chai';
import { flushLog, log, metric } from '../../src/log.js';

/** What reaches process.stderr.write, write by write, while `fn` runs. */
async function stderrWrites(fn: (writes: readonly string[]) => Promise<void>): Promise<string[]> {
  const writes: string[] = [];
  const original = process.stderr.write.bind(process.stderr);
  process.stderr.write = (chunk: string) => {
    writes.push(chunk);
    return true;
  };
  try {
    await fn(writes);
  } finally {
    process.stderr.write = original;
  }
  return writes;
}

describe('log: lines to stderr', () => {
  it('holds INFO and METRIC lines and writes them together, in order', async () => {
    const writes = await stderrWrites(async (sofar) => {
      log.info('one');
      metric({ type: 'counter', metric: 'record_count', value: 2, tags: { stream: 'leads' } });
      log.info('three');
      expect(sofar).to.deep.equal([]); // nothing written yet
      await new Promise((resolve) => setTimeout(resolve, 250));
    });
    expect(writes).to.deep.equal([
      'INFO one\nINFO METRIC: {"type":"counter","metric":"record_count","value":2,"tags":{"stream":"leads"}}\nINFO three\n',
    ]);
  });

  it('writes a WARNING or worse at once, after the lines held before it', async () => {
    const writes = await stderrWrites(async () => {
      log.info('before');
      log.warning('careful');
      log.critical('stop');
    });
    expect(writes).to.deep.equal(['INFO before\nWARNING careful\n', 'CRITICAL stop\n']);
  });

  it('writes what it holds when asked (the cli does before it exits)', async () => {
    const writes = await stderrWrites(async () => {
      log.info('last words');
      flushLog();
    });
    expect(writes).to.deep.equal(['INFO last words\n']);
  });
});
