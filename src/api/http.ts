/**
 * The HTTP client: authentication, keep-alive connections, a bound on requests in flight, the shared rate
 * limiter, a timeout covering connection and body, and the one retry loop of the tap. A request is retried
 * (with the same backoff, jitter, attempt count and WARNING) when the transport fails (429, 408, 5xx,
 * resets, timeouts, bodies cut short or not JSON) and when the caller's check of the body says so (a page
 * whose JSON does not parse). `get` returns what the check made of the body, or throws an ApiError that
 * says what went wrong without echoing the server's body, URL query or headers.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { urlToHttpOptions } from 'node:url';
import { brotliDecompressSync, gunzipSync, inflateSync } from 'node:zlib';
import { backoffDelay, DEFAULT_BACKOFF, parseRetryAfter, type BackoffPolicy } from './backoff.js';
import { systemClock, type Clock } from '../clock.js';
import { InFlight } from './in-flight.js';
import { RateLimiter } from './limiter.js';
import type { Log } from '../output/log.js';
import { ApiError, type ApiErrorKind } from '../errors.js';

export type AuthMethod = 'header' | 'bearer' | 'query';

export interface HttpClientOptions {
  baseUrl: string;
  apiKey: string;
  authMethod: AuthMethod;
  userAgent: string;
  timeoutMs: number;
  maxConcurrency: number;
  requestsPerMinute: number;
  backoff?: BackoffPolicy;
  clock?: Clock;
  random?: () => number;
  /** The rate-limit window; tests shorten it. Default: a minute. */
  rateWindowMs?: number;
  /** Told of every answer and retry, by stream (the progress display). */
  observer?: RequestObserver;
  /** The largest answer read, bytes (decoded): one larger is cut off as it arrives (max_response_mb). */
  maxResponseBytes?: number;
  /** The run's log: retries and (at DEBUG) requests are logged there, and error bodies redacted with its secrets. */
  log: Log;
}

export interface RequestObserver {
  /** A request of `stream` was answered with `status` (0: no answer). */
  requested(stream: string, status: number): void;
  retried(stream: string): void;
}

export { ApiError, type ApiErrorKind } from '../errors.js';

/** Where a request belongs, for logs and metrics. */
export interface RequestContext {
  stream: string;
  page?: number;
}

export type Params = Record<string, string | number | undefined>;

/** What a caller's check made of a 2xx body: its value, or why the body cannot serve (retry: worth another request). */
export type Checked<T> = { ok: true; value: T } | { ok: false; retry: boolean; reason: string };

/** The caller's reading of a 2xx body (parse it, process it in a worker...). */
export type BodyCheck<T> = (body: Buffer) => Checked<T> | Promise<Checked<T>>;

/** A body that must be JSON: parsed here. */
export const parseJsonBody: BodyCheck<unknown> = (body) => {
  try {
    const text = body.toString('utf8');
    // A UTF-8 byte order mark before the JSON (some servers write one) is not part of it.
    return { ok: true, value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) as unknown };
  } catch {
    return { ok: false, retry: true, reason: 'an incomplete or invalid JSON body' };
  }
};

/**
 * A failed attempt: why, and whether another attempt may succeed. Heavy: a 504 or no complete answer in
 * time, what a page too heavy to render in time gets (docs/api.md#pagination).
 */
type Failure = {
  ok: false;
  retry: boolean;
  status?: number;
  reason: string;
  retryAfterMs?: number | null;
  detail?: string;
  heavy?: boolean;
  /** The answer was over max_response_mb: asking again as it is cannot help. */
  tooLarge?: boolean;
  /** When the request started (a 429's tells the limiter whether it was already in flight at its last drop). */
  startedAt?: number;
};

export interface GetOptions {
  /** Attempts in all, the first included (default: the backoff policy's). */
  maxAttempts?: number;
  /** A heavy failure (504, timeout) ends the attempts at once with an ApiError of kind 'heavy': the caller makes the page smaller. */
  heavyIsFinal?: boolean;
}

/** One attempt's outcome: the 2xx body's bytes, or a failure. */
type Attempt = { ok: true; status: number; body: Buffer } | Failure;

export class HttpClient {
  private readonly agent: HttpAgent | HttpsAgent;
  /** base_url parsed once, as request options: each request adds its path and query to `basePath`. */
  private readonly base: RequestOptions;
  private readonly basePath: string;
  private readonly limiter: RateLimiter;
  private readonly backoff: BackoffPolicy;
  private readonly clock: Clock;
  private readonly random: () => number;
  /** Requests in flight: as many as the rate limit needs at the answers' latency, up to maxConcurrency. */
  private readonly inFlight: InFlight;
  /** The largest answer read (max_response_mb), bytes. */
  private readonly maxBytes: number;
  private readonly log: Log;
  /**
   * The server's clock minus ours, from the Date header of the latest answer (whole seconds, taken before
   * the answer reached us: never more than the true difference). Undefined until a server sent one.
   */
  serverClockOffsetMs: number | undefined;

  constructor(private readonly options: HttpClientOptions) {
    const AgentClass = options.baseUrl.startsWith('https:') ? HttpsAgent : HttpAgent;
    this.agent = new AgentClass({ keepAlive: true, maxSockets: options.maxConcurrency });
    // Settings made sure that base_url is a URL without credentials, query or fragment.
    const base = new URL(options.baseUrl);
    const { protocol, hostname, port } = urlToHttpOptions(base);
    // A URL without a path has the pathname "/": requests to it go to "/me", not "//me".
    this.base = { protocol, hostname, port, agent: this.agent };
    this.basePath = base.pathname.replace(/\/$/, '');
    this.clock = options.clock ?? systemClock;
    this.log = options.log;
    this.maxBytes = options.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_MB * MIB;
    this.random = options.random ?? Math.random;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
    const windowMs = options.rateWindowMs ?? 60_000;
    this.limiter = new RateLimiter(options.requestsPerMinute, this.clock, windowMs);
    this.inFlight = new InFlight(options.maxConcurrency, () => (this.limiter.effectiveLimit * 1000) / windowMs);
  }

  /** GET base_url + path with params, parsed as JSON (at most maxAttempts attempts in all). */
  getJson(path: string, params: Params, context: RequestContext, maxAttempts = this.backoff.maxAttempts): Promise<unknown> {
    return this.get(path, params, context, parseJsonBody, { maxAttempts });
  }

  /**
   * GET base_url + path with params; a 2xx body goes through `check`, whose value is returned. Every failure
   * that may pass (the transport's, or the check's) is retried the same way, up to maxAttempts attempts.
   */
  async get<T>(path: string, params: Params, context: RequestContext, check: BodyCheck<T>, options: GetOptions = {}): Promise<T> {
    const { maxAttempts = this.backoff.maxAttempts, heavyIsFinal = false } = options;
    const where = describe(path, context);
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.withSlot(() => this.attempt(path, params));
      this.options.observer?.requested(context.stream, outcome.status ?? 0);
      if (outcome.ok) this.limiter.succeeded();
      else if (outcome.status === 429) this.limiter.throttled(outcome.startedAt ?? this.clock.now());
      const result: Checked<T> | Failure = outcome.ok ? await check(outcome.body) : outcome;
      if (result.ok) return result.value;
      const failure: Failure = outcome.ok
        ? { ...result, status: outcome.status, reason: `HTTP ${outcome.status} with ${result.reason}` }
        : outcome;
      if (failure.heavy && heavyIsFinal) throw new ApiError('heavy', `${where}: ${failure.reason}`, failure.status);
      if (!failure.retry) throw toApiError(failure, where, outcome.ok);
      if (attempt >= maxAttempts) {
        throw new ApiError(
          'exhausted',
          `${where}: ${failure.reason}, still failing after ${attempt} attempts`,
          failure.status,
          failure.detail,
        );
      }
      this.options.observer?.retried(context.stream);
      const delay = this.retryDelay(failure, attempt);
      this.log.warning(`${where}: ${failure.reason}; retry ${attempt} of ${maxAttempts - 1} in ${(delay / 1000).toFixed(1)} s`);
      await this.clock.sleep(delay);
    }
  }

  /** The server's Retry-After (within bounds) when it gave one, else backoff with full jitter. */
  private retryDelay(failure: Failure, attempt: number): number {
    const retryAfter = failure.retryAfterMs;
    return retryAfter != null ? Math.min(retryAfter, this.backoff.maxRetryAfterMs) : backoffDelay(this.backoff, attempt, this.random);
  }

  /** The request limit in force now, a minute (lower than requests_per_minute after a 429). */
  get allowedPerMinute(): number {
    return (this.limiter.effectiveLimit * 60_000) / (this.options.rateWindowMs ?? 60_000);
  }

  /** Closes kept-alive connections, so that the process can exit. */
  close(): void {
    this.agent.destroy();
  }

  /** Runs fn once a concurrency slot and a rate-limit slot are free. */
  private async withSlot(fn: () => Promise<Attempt>): Promise<Attempt> {
    await this.inFlight.acquire();
    try {
      const release = await this.limiter.acquire();
      let counted = true;
      try {
        const outcome = await fn();
        counted = outcome.ok || outcome.status !== 429;
        return outcome;
      } finally {
        release(counted);
      }
    } finally {
      this.inFlight.release();
    }
  }

  /** The request's options: base_url's, with the path and query (built here: URL objects per request showed in profiles). */
  private requestOptions(path: string, params: Params): RequestOptions {
    const query = new URLSearchParams();
    for (const [key, value] of Object.entries(params)) if (value !== undefined) query.append(key, String(value));
    if (this.options.authMethod === 'query') query.append('api_key', this.options.apiKey);
    const search = query.toString();
    return { ...this.base, path: this.basePath + path + (search ? `?${search}` : ''), headers: this.headers() };
  }

  private headers(): Record<string, string> {
    const headers: Record<string, string> = {
      Accept: 'application/json',
      'Accept-Encoding': 'gzip, deflate, br',
      'User-Agent': this.options.userAgent,
    };
    if (this.options.authMethod === 'header') headers.Authorization = this.options.apiKey;
    if (this.options.authMethod === 'bearer') headers.Authorization = `Bearer ${this.options.apiKey}`;
    return headers;
  }

  private async attempt(path: string, params: Params): Promise<Attempt> {
    const started = this.clock.now();
    let status = 0;
    try {
      const response = await get(this.requestOptions(path, params), this.options.timeoutMs, this.maxBytes);
      status = response.status;
      const date = Date.parse(response.headers.date ?? '');
      if (!Number.isNaN(date)) this.serverClockOffsetMs = date - this.clock.now();
      if (status >= 200 && status < 300) this.inFlight.observe(this.clock.now() - started);
      const outcome = interpret(response, this.clock.now(), this.log.redact);
      return outcome.ok ? outcome : { ...outcome, startedAt: started };
    } catch (error) {
      const code = (error as { code?: string }).code ?? '';
      if (code === TOO_LARGE || code === 'ERR_BUFFER_TOO_LARGE') {
        const size = params.per_page === undefined ? "at the API's own page size" : `at per_page ${params.per_page}`;
        const reason = `an answer over ${this.maxBytes / MIB} MiB ${size} (max_response_mb ${this.maxBytes / MIB}), cut off`;
        return { ok: false, retry: false, reason, heavy: true, tooLarge: true };
      }
      // The request could not even be built (a header or URL Node refuses): retrying cannot help.
      if (/^ERR_(INVALID|HTTP_INVALID|UNESCAPED)/.test(code)) {
        return { ok: false, retry: false, reason: `the request could not be sent (${code}): check "api_key", "user_agent" and "base_url"` };
      }
      const reason =
        code === TIMED_OUT ? `no complete answer within ${this.options.timeoutMs / 1000} s` : `connection failed (${networkReason(error)})`;
      return { ok: false, retry: true, reason, heavy: code === TIMED_OUT };
    } finally {
      const ms = this.clock.now() - started;
      this.log.metric({
        type: 'timer',
        metric: 'http_request_duration',
        value: ms / 1000,
        tags: { endpoint: path, http_status_code: status, status: status >= 200 && status < 300 ? 'succeeded' : 'failed' },
      });
      this.log.debug(`GET ${path}${formatParams(params)} -> ${status || 'no response'} in ${ms} ms`);
    }
  }
}

interface RawResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

const TIMED_OUT = 'ERR_TAP_TIMED_OUT';
const TOO_LARGE = 'ERR_TAP_TOO_LARGE';
const MIB = 1024 * 1024;
/** max_response_mb's default (schemas/settings.json). */
export const DEFAULT_MAX_RESPONSE_MB = 16;

/**
 * One GET over the given agent: status, headers and the decoded body, given up after `timeoutMs` (from
 * the start: connection, headers and body), or as soon as the body grows over `maxBytes` (compressed as
 * it arrives, or decoded): memory is bounded by the cap, not by the server. A timer that destroys the
 * request costs less than an AbortSignal per request, which showed in the main thread's profile.
 */
function get(options: RequestOptions, timeoutMs: number, maxBytes: number): Promise<RawResponse> {
  const send = options.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolveGet, rejectGet) => {
    const resolve = (response: RawResponse) => {
      clearTimeout(timer);
      resolveGet(response);
    };
    const reject = (error: Error) => {
      clearTimeout(timer);
      rejectGet(error);
    };
    const req = send(options, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size <= maxBytes) {
          chunks.push(chunk);
          return;
        }
        chunks.length = 0;
        const error = Object.assign(new Error(`an answer over ${maxBytes} bytes`), { code: TOO_LARGE });
        reject(error);
        req.destroy(error);
      });
      res.on('error', reject);
      res.on('aborted', () => {
        reject(new Error('response aborted'));
      });
      res.on('end', () => {
        if (!res.complete) {
          reject(Object.assign(new Error('premature close'), { code: 'ERR_PREMATURE_CLOSE' }));
          return;
        }
        try {
          const body = decoded(Buffer.concat(chunks), res.headers['content-encoding'], maxBytes);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body });
        } catch (error) {
          reject(error as Error);
        }
      });
    });
    req.on('error', reject);
    const timer = setTimeout(() => {
      const error = Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: TIMED_OUT });
      rejectGet(error);
      req.destroy(error);
    }, timeoutMs);
    req.end();
  });
}

/**
 * A body with its content encodings undone (they apply in the order listed: undone from the last); one
 * that decodes to more than `maxBytes` throws ERR_BUFFER_TOO_LARGE.
 */
function decoded(body: Buffer, contentEncoding: string | undefined, maxBytes: number): Buffer {
  const encodings = (contentEncoding ?? '')
    .toLowerCase()
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  let out = body;
  for (const encoding of encodings.reverse()) {
    const bound = { maxOutputLength: maxBytes };
    if (encoding === 'gzip' || encoding === 'x-gzip') out = gunzipSync(out, bound);
    else if (encoding === 'deflate') out = inflateSync(out, bound);
    else if (encoding === 'br') out = brotliDecompressSync(out, bound);
    else if (encoding !== 'identity')
      throw Object.assign(new Error(`unknown content-encoding ${encoding}`), { code: 'ERR_CONTENT_ENCODING' });
  }
  return out;
}

function interpret(response: RawResponse, now: number, redact: (text: string) => string): Attempt {
  const status = response.status;
  const header = (name: string) => {
    const value = response.headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const contentType = header('content-type') ?? '';
  if (status >= 200 && status < 300) {
    if (contentType && !/json/i.test(contentType)) {
      return { ok: false, retry: true, status, reason: `HTTP ${status} with a ${contentType.split(';')[0]} body instead of JSON` };
    }
    return { ok: true, status, body: response.body };
  }
  const detail = errorDetail(response.body.toString('utf8'), redact);
  const retryAfterMs = parseRetryAfter(header('retry-after'), now);
  if (status === 429) {
    const wait = retryAfterMs != null ? `, Retry-After ${Math.ceil(retryAfterMs / 1000)} s` : ', no Retry-After';
    return { ok: false, retry: true, status, reason: `HTTP 429 rate limited${wait}`, retryAfterMs };
  }
  if (status === 408 || status >= 500)
    return { ok: false, retry: true, status, reason: `HTTP ${status}`, retryAfterMs, heavy: status === 504 };
  return { ok: false, retry: false, status, reason: `HTTP ${status}`, detail };
}

/** The error of a failure not worth retrying: an HTTP status the API refused with, or a body the check refused. */
function toApiError(failure: Failure, where: string, answered: boolean): ApiError {
  const detail = failure.detail ? ` (${failure.detail})` : '';
  const kind: ApiErrorKind = failure.tooLarge
    ? 'too_large'
    : answered
      ? 'unreadable'
      : failure.status === 401
        ? 'unauthorized'
        : failure.status === 404
          ? 'not_found'
          : 'client';
  return new ApiError(kind, `${where}: ${failure.reason}${detail}`, failure.status, failure.detail);
}

/** The `error` / `message` / `errors` text of a JSON error body, redacted and at most 200 characters. */
function errorDetail(text: string, redact: (text: string) => string): string | undefined {
  try {
    const body = JSON.parse(text) as unknown;
    if (typeof body !== 'object' || body === null) return undefined;
    const record = body as Record<string, unknown>;
    const value = record.error ?? record.message ?? record.errors;
    if (value === undefined) return undefined;
    const flat = typeof value === 'string' ? value : JSON.stringify(value);
    return redact(flat).slice(0, 200);
  } catch {
    return undefined; // HTML or garbage: never echoed
  }
}

function networkReason(error: unknown): string {
  const e = error as { code?: string; type?: string; message?: string };
  return e.code ?? e.type ?? 'network error';
}

function describe(path: string, context: RequestContext): string {
  return `stream ${context.stream}, GET ${path}${context.page !== undefined ? ` page ${context.page}` : ''}`;
}

function formatParams(params: Params): string {
  const shown = Object.entries(params)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => `${k}=${String(v)}`);
  return shown.length ? `?${shown.join('&')}` : '';
}
