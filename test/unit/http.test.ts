import { expect } from 'chai';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import nock from 'nock';
import { ApiError, HttpClient, type HttpClientOptions } from '../../src/api/http.js';
import { testLog } from '../helpers/capture-log.js';
import { fakeClock } from '../helpers/fake-clock.js';

const BASE = 'https://acme.syncromsp.com/api/v1';
const KEY = 'unit-secret-key-123';
const { log, capture: captureLog } = testLog(KEY);

function client(overrides: Partial<HttpClientOptions> = {}) {
  const clock = fakeClock();
  const c = new HttpClient({
    baseUrl: BASE,
    apiKey: KEY,
    authMethod: 'header',
    userAgent: 'tap-crm/test',
    timeoutMs: 5000,
    maxConcurrency: 2,
    requestsPerMinute: 1000,
    clock,
    random: () => 0.5,
    log,
    ...overrides,
  });
  return { client: c, clock };
}

const ctx = { stream: 'tickets', page: 1 };

describe('http client (nock)', () => {
  before(() => {
    nock.disableNetConnect();
  });
  afterEach(() => {
    nock.cleanAll();
  });
  after(() => {
    nock.enableNetConnect();
  });

  it('sends the key as Authorization: <key> with the header method, and the User-Agent', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: KEY, 'user-agent': 'tap-crm/test' } })
      .get('/tickets')
      .query({ page: '1' })
      .reply(200, { tickets: [] });
    const { client: c } = client();
    expect((await captureLog(() => c.getJson('/tickets', { page: 1 }, ctx))).result).to.deep.equal({ tickets: [] });
    scope.done();
  });

  it('puts each path under base_url’s own path, or at the root when base_url has none', async () => {
    const scope = nock('https://crm.example.com').get('/me').reply(200, {}).get('/api/v1/me').reply(200, {});
    await captureLog(() => client({ baseUrl: 'https://crm.example.com' }).client.getJson('/me', {}, ctx));
    await captureLog(() => client({ baseUrl: 'https://crm.example.com/api/v1' }).client.getJson('/me', {}, ctx));
    scope.done();
  });

  it('sends Authorization: Bearer <key> with the bearer method', async () => {
    const scope = nock(BASE, { reqheaders: { authorization: `Bearer ${KEY}` } })
      .get('/me')
      .reply(200, {});
    await captureLog(() => client({ authMethod: 'bearer' }).client.getJson('/me', {}, ctx));
    scope.done();
  });

  it('sends ?api_key= and no Authorization header with the query method', async () => {
    const scope = nock(BASE, { badheaders: ['authorization'] })
      .get('/me')
      .query({ api_key: KEY })
      .reply(200, {});
    await captureLog(() => client({ authMethod: 'query' }).client.getJson('/me', {}, ctx));
    scope.done();
  });

  it('retries 500, 502, 503, 504 and 408, then returns the body', async () => {
    const scope = nock(BASE)
      .get('/tickets')
      .query(true)
      .reply(500, '<html>oops</html>')
      .get('/tickets')
      .query(true)
      .reply(502, '<html>bad gateway</html>')
      .get('/tickets')
      .query(true)
      .reply(503)
      .get('/tickets')
      .query(true)
      .reply(504, '<html>timeout</html>')
      .get('/tickets')
      .query(true)
      .reply(408)
      .get('/tickets')
      .query(true)
      .reply(200, { tickets: [{ id: 1 }] });
    const { client: c, clock } = client();
    const { result, lines } = await captureLog(() => c.getJson('/tickets', { page: 1 }, ctx));
    expect(result).to.deep.equal({ tickets: [{ id: 1 }] });
    expect(clock.sleeps).to.have.length(5);
    expect(lines.filter((l) => l.startsWith('WARNING'))).to.have.length(5);
    expect(lines.join('')).to.include('stream tickets, GET /tickets page 1: HTTP 502');
    expect(lines.join('')).not.to.include('bad gateway');
    scope.done();
  });

  it('honours Retry-After in seconds and as an HTTP date on 429', async () => {
    const { client: c, clock } = client();
    const date = new Date(clock.now() + 10_000).toUTCString(); // 7 s after the first 3 s wait
    const scope = nock(BASE)
      .get('/tickets')
      .query(true)
      .reply(429, {}, { 'Retry-After': '3' })
      .get('/tickets')
      .query(true)
      .reply(429, {}, { 'Retry-After': date })
      .get('/tickets')
      .query(true)
      .reply(200, { tickets: [] });
    await captureLog(() => c.getJson('/tickets', { page: 1 }, ctx));
    expect(clock.sleeps[0]).to.equal(3000);
    expect(clock.sleeps[1]).to.be.within(6000, 7000); // the HTTP date has a 1 s resolution
    scope.done();
  });

  it('backs off on a 429 without Retry-After', async () => {
    const { client: c, clock } = client();
    const scope = nock(BASE).get('/x').reply(429, {}).get('/x').reply(200, {});
    await captureLog(() => c.getJson('/x', {}, ctx));
    expect(clock.sleeps).to.deep.equal([250]); // full jitter with random() = 0.5 of the 500 ms base
    scope.done();
  });

  it('retries a truncated JSON body and an HTML page sent with status 200', async () => {
    const scope = nock(BASE)
      .get('/x')
      .reply(200, '{"tickets": [{"id": 1', { 'Content-Type': 'application/json' })
      .get('/x')
      .reply(200, '<html>maintenance</html>', { 'Content-Type': 'text/html' })
      .get('/x')
      .reply(200, { ok: true });
    const { result, lines } = await captureLog(() => client().client.getJson('/x', {}, ctx));
    expect(result).to.deep.equal({ ok: true });
    expect(lines.join('')).to.include('incomplete or invalid JSON').and.include('text/html body instead of JSON');
    scope.done();
  });

  it('retries a connection reset (a real local server: nock cannot reset a node-fetch socket)', async () => {
    let calls = 0;
    const server = createServer((req, res) => {
      calls++;
      if (calls === 1) req.socket.destroy();
      else res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"ok":1}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    nock.enableNetConnect('127.0.0.1');
    try {
      const { port } = server.address() as AddressInfo;
      const c = client({ baseUrl: `http://127.0.0.1:${port}/api/v1` }).client;
      const { result, lines } = await captureLog(() => c.getJson('/x', {}, ctx));
      c.close();
      expect(result).to.deep.equal({ ok: 1 });
      expect(lines.join('')).to.match(/connection failed \((ECONNRESET|system)\)/);
    } finally {
      nock.disableNetConnect();
      server.close();
    }
  });

  it('retries a request that exceeds request_timeout', async () => {
    const scope = nock(BASE).get('/x').delay(300).reply(200, { slow: true }).get('/x').reply(200, { fast: true });
    const { result, lines } = await captureLog(() => client({ timeoutMs: 50 }).client.getJson('/x', {}, ctx));
    expect(result).to.deep.equal({ fast: true });
    expect(lines.join('')).to.include('no complete answer within 0.05 s');
    scope.done();
  });

  it('fails at once on 401 with the API error text, and does not retry', async () => {
    const scope = nock(BASE)
      .get('/line_items')
      .reply(401, { error: 'Not authorized. Please ask account admin to update your group permissions.' });
    const { error, lines } = await captureLog(() => client().client.getJson('/line_items', {}, { stream: 'line_items' }));
    expect(error).to.be.instanceOf(ApiError);
    expect((error as ApiError).kind).to.equal('unauthorized');
    expect((error as ApiError).detail).to.include('update your group permissions');
    expect(lines).to.have.length(1); // the METRIC line only, no retry warning
    scope.done();
  });

  it('fails at once on 404 and 422', async () => {
    nock(BASE)
      .get('/nope')
      .reply(404, { message: 'Not found' })
      .get('/bad')
      .reply(422, { errors: { since: ['is invalid'] } });
    const c = client().client;
    const notFound = (await captureLog(() => c.getJson('/nope', {}, ctx))).error as ApiError;
    const invalid = (await captureLog(() => c.getJson('/bad', {}, ctx))).error as ApiError;
    expect(notFound.kind).to.equal('not_found');
    expect(invalid.kind).to.equal('client');
    expect(invalid.message).to.include('HTTP 422').and.include('is invalid');
  });

  it('gives up after the bounded number of attempts', async () => {
    nock(BASE).get('/x').times(3).reply(503);
    const c = client({ backoff: { baseMs: 10, capMs: 100, maxAttempts: 3, maxRetryAfterMs: 1000 } }).client;
    const { error } = await captureLog(() => c.getJson('/x', {}, ctx));
    expect((error as ApiError).kind).to.equal('exhausted');
    expect((error as ApiError).message).to.include('still failing after 3 attempts');
  });

  it('never prints the key that an error body echoes', async () => {
    nock(BASE)
      .get('/x')
      .reply(403, { error: `forbidden for token ${KEY}` });
    const { error, lines } = await captureLog(() => client().client.getJson('/x', {}, ctx));
    expect((error as Error).message).not.to.include(KEY);
    expect((error as Error).message).to.include('forbidden for token ***');
    expect(lines.join('')).not.to.include(KEY);
  });

  it('does not retry a request that cannot be built, and names the settings to check', async () => {
    const { error, lines } = await captureLog(() => client({ apiKey: 'bad\nkey' }).client.getJson('/me', {}, ctx));
    expect((error as ApiError).kind).to.equal('client');
    expect((error as Error).message).to.match(
      /the request could not be sent \(ERR_INVALID_CHAR\): check "api_key", "user_agent" and "base_url"/,
    );
    expect(lines.filter((l) => l.startsWith('WARNING'))).to.deep.equal([]);
  });

  it('decodes gzip, x-gzip and br bodies', async () => {
    const { gzipSync, brotliCompressSync } = await import('node:zlib');
    const json = Buffer.from(JSON.stringify({ ok: 'Zoë' }));
    nock(BASE)
      .get('/a')
      .reply(200, gzipSync(json), { 'Content-Type': 'application/json', 'Content-Encoding': 'gzip' })
      .get('/b')
      .reply(200, gzipSync(json), { 'Content-Type': 'application/json', 'Content-Encoding': 'X-Gzip' })
      .get('/c')
      .reply(200, brotliCompressSync(json), { 'Content-Type': 'application/json', 'Content-Encoding': 'br' });
    const c = client().client;
    for (const path of ['/a', '/b', '/c'])
      expect((await captureLog(() => c.getJson(path, {}, ctx))).result, path).to.deep.equal({ ok: 'Zoë' });
  });

  it('notes the server clock from the Date header', async () => {
    const { client: c, clock } = client();
    nock(BASE)
      .get('/me')
      .reply(200, {}, { Date: new Date(clock.now() - 5000).toUTCString() });
    await captureLog(() => c.getJson('/me', {}, ctx));
    expect(c.serverClockOffsetMs).to.be.within(-6000, -5000);
  });

  it('emits an http_request_duration METRIC per request', async () => {
    nock(BASE).get('/x').reply(200, {});
    const { lines } = await captureLog(() => client().client.getJson('/x', {}, ctx));
    const metric = JSON.parse(lines[0]!.replace(/^INFO METRIC: /, '')) as { metric: string; tags: Record<string, unknown> };
    expect(metric.metric).to.equal('http_request_duration');
    expect(metric.tags).to.include({ endpoint: '/x', http_status_code: 200, status: 'succeeded' });
  });

  it('keeps at most max_concurrency requests in flight', async () => {
    let inFlight = 0;
    let peak = 0;
    nock(BASE)
      .get('/x')
      .times(6)
      .reply(200, async () => {
        inFlight++;
        peak = Math.max(peak, inFlight);
        await new Promise((r) => setTimeout(r, 10));
        inFlight--;
        return {};
      });
    const c = client({ maxConcurrency: 2 }).client;
    await captureLog(() => Promise.all(Array.from({ length: 6 }, () => c.getJson('/x', {}, ctx))));
    expect(peak).to.equal(2);
  });
});
