import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from '../../src/paths.js';
import { Logger, Redactor, STRUCTURED_FORMATTER, wantsStructured } from '../../src/output/log.js';
import { about, aboutText } from '../../src/command/about.js';

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

describe("log: structured lines (Meltano's structured-logging)", () => {
  const REQUIRED = ['level', 'pid', 'logger_name', 'ts', 'thread_name', 'app_name', 'message'];

  it("asks for structured lines only where SINGER_SDK_LOG_CONFIG names the SDK's StructuredFormatter", () => {
    const files: Record<string, string> = {
      structured: JSON.stringify({ formatters: { singer_formatter: { '()': STRUCTURED_FORMATTER } } }),
      plain: JSON.stringify({ formatters: { singer_formatter: { format: '%(message)s' } } }),
      broken: '{',
    };
    const read = (path: string) => {
      if (!(path in files)) throw new Error('ENOENT');
      return files[path]!;
    };
    expect(wantsStructured({ SINGER_SDK_LOG_CONFIG: 'structured' }, read)).to.equal(true);
    for (const path of ['plain', 'broken', 'missing']) expect(wantsStructured({ SINGER_SDK_LOG_CONFIG: path }, read), path).to.equal(false);
    expect(wantsStructured({}, read)).to.equal(false);
  });

  it("writes each line as one JSON object with the fields Meltano's parser requires, the stream named, metrics as metric_info, secrets masked", async () => {
    const writes = await stderrWrites(async (log) => {
      log.setStructured(true);
      log.addSecret('sekrit-key-123');
      log.info('stream tickets: page 3 holds sekrit-key-123');
      log.metric({ type: 'counter', metric: 'record_count', value: 2, tags: { stream: 'leads', endpoint: '/leads?k=sekrit-key-123' } });
      log.warning('no stream here');
      await new Promise((resolve) => setTimeout(resolve, 250));
    });
    const lines = writes
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).to.have.length(3);
    for (const line of lines) expect(Object.keys(line)).to.include.members([...REQUIRED, 'stream_name', 'extra']);
    expect(lines.map((l) => [l.level, l.stream_name, l.message])).to.deep.equal([
      ['info', 'tickets', 'stream tickets: page 3 holds ***'],
      ['info', 'leads', 'METRIC'],
      ['warning', null, 'no stream here'],
    ]);
    expect(lines[1]!.metric_info).to.deep.equal({
      type: 'counter',
      metric: 'record_count',
      value: 2,
      tags: { stream: 'leads', endpoint: '/leads?k=***' },
    });
    expect(writes.join('')).not.to.include('sekrit');
  });
});

describe('--about', () => {
  it("JSON in the SDK's shape: its fields in its order, structured-logging among the capabilities", () => {
    const info = about();
    expect(Object.keys(info)).to.deep.equal([
      'name',
      'description',
      'version',
      'sdk_version',
      'supported_python_versions',
      'capabilities',
      'settings',
    ]);
    expect(info.capabilities).to.include('structured-logging');
    // From pyproject.toml's requires-python on.
    const requires = /requires-python = ">=3\.(\d+)"/.exec(readFileSync(join(ROOT, 'pyproject.toml'), 'utf8'))![1];
    expect(info.supported_python_versions[0]).to.equal(`3.${requires}`);
  });

  it('text as the SDK writes it: name, versions, capabilities, each setting with its type and variable', () => {
    const text = aboutText();
    expect(text).to.match(
      /^Name: tap-crm\nDescription: .+\nVersion: \d+\.\d+\.\d+\nSDK Version: .+\nSupported Python Versions:\n {2}- 3\.10\n/,
    );
    expect(text).to.include('Capabilities:\n  - catalog\n');
    expect(text).to.include('  - Name: api_key\n    Type: string\n    Environment Variable: TAP_CRM_API_KEY\n');
    expect(text).to.include('  - Name: request_timeout\n    Type: number\n    Environment Variable: TAP_CRM_REQUEST_TIMEOUT\n');
  });
});
