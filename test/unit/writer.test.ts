import { expect } from 'chai';
import { Writable } from 'node:stream';
import { streamByName } from '../../src/streams.js';
import { MessageWriter } from '../../src/protocol/writer.js';

/** A Writable that takes a chunk only when `release()` is called, like a target that reads slowly. */
function slowSink(highWaterMark: number) {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  const stream = new Writable({
    highWaterMark,
    write(chunk: Buffer, _enc, callback) {
      chunks.push(chunk.toString());
      pending.push(callback);
    },
  });
  return {
    stream,
    chunks,
    release: () => {
      pending.splice(0).forEach((cb) => {
        cb();
      });
    },
  };
}

describe('writer: Singer messages on stdout', () => {
  it('writes SCHEMA, RECORD lines, ACTIVATE_VERSION and STATE in the Singer format', async () => {
    const chunks: string[] = [];
    const stream = new Writable({
      write: (chunk: Buffer, _enc, callback) => {
        chunks.push(chunk.toString());
        callback();
      },
    });
    const writer = new MessageWriter(stream);
    const schema = { type: 'object', properties: { id: { type: 'integer' } } };
    await writer.schema({ def: streamByName('leads')!, schema, fields: null, method: 'FULL_TABLE' });
    await writer.schema({ def: streamByName('leads')!, schema, fields: null, method: 'INCREMENTAL' });
    await writer.lines(
      Buffer.from(
        '{"type":"RECORD","stream":"leads","record":{"id":1,"name":"Zoë \\"Z\\""},"time_extracted":"2026-01-01T00:00:00.000Z"}\n',
      ),
    );
    await writer.activateVersion('leads', 7);
    await writer.state({ bookmarks: {} }, []);
    const lines = chunks
      .join('')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.deep.equal([
      { type: 'SCHEMA', stream: 'leads', schema, key_properties: ['id'] },
      { type: 'SCHEMA', stream: 'leads', schema, key_properties: ['id'], bookmark_properties: ['updated_at'] },
      { type: 'RECORD', stream: 'leads', record: { id: 1, name: 'Zoë "Z"' }, time_extracted: '2026-01-01T00:00:00.000Z' },
      { type: 'ACTIVATE_VERSION', stream: 'leads', version: 7 },
      { type: 'STATE', value: { bookmarks: {} } },
    ]);
  });

  it('waits for drain when the consumer is slow, instead of buffering without bound', async () => {
    const sink = slowSink(64);
    const writer = new MessageWriter(sink.stream);
    let done = false;
    const write = writer.lines(Buffer.from('x'.repeat(200) + '\n')).then(() => (done = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(done, 'resolved before the consumer read').to.equal(false);
    sink.release();
    await write;
    expect(done).to.equal(true);
  });

  it('flush waits for bytes queued below the high-water mark, for which no drain ever comes', async () => {
    // The last STATE behind a full pipe: the write is accepted (no drain owed), the bytes still queued.
    const sink = slowSink(1024);
    const writer = new MessageWriter(sink.stream);
    const written = writer.state({ bookmarks: {} }, []);
    await written;
    expect(sink.stream.writableLength, 'queued').to.be.greaterThan(0);
    let flushed = false;
    const flush = writer.flush().then(() => (flushed = true));
    await new Promise((r) => setTimeout(r, 20));
    expect(flushed, 'resolved before the consumer read').to.equal(false);
    sink.release();
    await new Promise((r) => setImmediate(r));
    sink.release(); // the empty write flush queued behind the STATE
    await flush;
    expect(sink.stream.writableLength).to.equal(0);
  });

  it('fails every write once stdout has failed (EPIPE: the target died)', async () => {
    const stream = new Writable({
      write(_chunk, _enc, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    stream.on('error', () => undefined);
    const writer = new MessageWriter(stream);
    await writer.state({ bookmarks: {} }, []).catch(() => undefined);
    await new Promise((r) => setImmediate(r));
    let error: Error | undefined;
    try {
      await writer.state({ bookmarks: {} }, []);
    } catch (e) {
      error = e as Error;
    }
    expect(error?.message).to.match(/stdout failed \(EPIPE\): the target stopped reading/);
  });
});
