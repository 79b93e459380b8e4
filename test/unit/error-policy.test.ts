import { expect } from 'chai';
import { judge, REPORT, type Place } from '../../src/error-policy.js';
import { TapError } from '../../src/errors.js';
import { ApiError, type ApiErrorKind } from '../../src/api/http.js';

const api = (kind: ApiErrorKind, status?: number, message = `stream leads, GET /leads page 2: HTTP ${status ?? 0}`) =>
  new ApiError(kind, message, status);
const connection: Place = { at: 'connection', authMethod: 'header' };
const listPage = (pagesWritten: number): Place => ({
  at: 'stream',
  stream: 'leads',
  path: '/leads',
  permission: 'Global Admin',
  pagesWritten,
});
const detail: Place = { at: 'detail', stream: 'users', fallback: 'id and full_name' };

describe('error policy: one verdict for an error and where it happened', () => {
  it('the connection check fails the run, with the setting to check: token, base_url, or the network', () => {
    expect(judge(api('unauthorized', 401), connection)).to.deep.include({ decision: 'fail-run', failureType: 'config_error' });
    expect(judge(api('unauthorized', 401), connection)!.message).to.match(/check "api_key" and "auth_method" \(now "header"\)/);
    expect(judge(api('not_found', 404), connection)!.message).to.match(/check that "base_url" is the API root/);
    expect(judge(api('client', 403), connection)!.message).to.match(/refused it .*the token's user is active/);
    const network = judge(api('exhausted', undefined, 'GET /me: connection failed (ECONNREFUSED), still failing'), connection)!;
    expect(network).to.deep.include({ decision: 'fail-run', failureType: 'transient_error' });
    expect(network.message).to.match(/^cannot reach the API at "base_url" .*check the URL and the network/);
  });

  it('a 429 or a 5xx that outlasted the retries is not "cannot reach": the API answered', () => {
    const throttled = judge(api('exhausted', 429), connection)!.message;
    expect(throttled).to.match(/kept answering GET \/me with HTTP 429.*lower "requests_per_minute"/);
    expect(throttled).not.to.include('cannot reach');
    const failing = judge(api('exhausted', 503), listPage(3))!;
    expect(failing).to.deep.include({ decision: 'fail-stream', failureType: 'transient_error' });
    expect(failing.message).to.match(/^stream leads, GET \/leads page 2: HTTP 503: the API kept failing; run again later/);
  });

  it('a 401 on a stream’s first page skips it (a permission); after pages were written, it fails it with advice', () => {
    const first = judge(api('unauthorized', 401), listPage(0))!;
    expect(first.decision).to.equal('skip-stream');
    expect(first.message).to.match(/stream leads skipped: .*HTTP 401 \(this stream needs Global Admin\)\. Grant the permission/);
    expect(first.reason).to.equal('HTTP 401 on /leads (this stream needs Global Admin)');
    const later = judge(api('unauthorized', 401), listPage(4))!;
    expect(later.decision).to.equal('fail-stream');
    expect(later.message).to.match(/refused the token part-way through the stream .*check the token and run again/);
  });

  it('every stream failure says what to do, and what only the project can fix says where to report it', () => {
    for (const kind of ['not_found', 'client', 'too_large', 'unreadable', 'exhausted', 'heavy'] as const) {
      const verdict = judge(api(kind, kind === 'not_found' ? 404 : 400), listPage(1))!;
      expect(verdict.decision, kind).to.equal('fail-stream');
      expect(verdict.message, kind).to.match(/: .*(deselect|report|raise|run again)/);
    }
    expect(judge(api('client', 422), listPage(1))!.message).to.include(REPORT);
    // No address in a message (package.json's may be a placeholder): the README's Troubleshooting says where.
    expect(REPORT).to.match(/^report it with this line/);
    expect(REPORT).to.not.match(/https?:|github/);
  });

  it('a refused detail is tolerated (the list’s fields are written); any other detail failure fails the stream', () => {
    for (const kind of ['unauthorized', 'not_found', 'client'] as const) {
      const verdict = judge(api(kind, 403, 'stream users, GET /users/7: HTTP 403'), detail)!;
      expect(verdict.decision, kind).to.equal('tolerate');
      expect(verdict.message).to.match(/written as the list gives them \(id and full_name\)\. Grant the token the permission/);
    }
    expect(judge(api('exhausted', 500), detail)!.decision).to.equal('fail-stream');
  });

  it('the tap’s own errors keep their message and fault; anything else is not judged (a bug ends the run)', () => {
    const own = new TapError('stream leads: GET /leads announced 3 pages, then 900', 1, 'transient_error');
    expect(judge(own, listPage(2))).to.deep.equal({
      decision: 'fail-stream',
      failureType: 'transient_error',
      message: own.message,
      reason: own.message,
    });
    expect(judge(own, connection)!.decision).to.equal('fail-run');
    expect(judge(new TypeError('x is undefined'), listPage(2))).to.equal(undefined);
  });
});
