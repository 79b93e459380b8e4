/**
 * The error policy: what an error that reached the sync means, decided here and nowhere else. From the
 * error's kind and where it happened comes one verdict: the decision (fail the run, skip the stream, fail
 * the stream, or tolerate the error and go on), whose fault it is (Airbyte's failure_type), and the message
 * a person reads, which says what to do. Retrying a request and shrinking a heavy page come before: the
 * HTTP client (http.ts) and the walker (walker.ts) decide those, and an error reaches this policy only once
 * they have given up. The facts behind each answer are in docs/api.md#base-url-and-authentication and #rate-limit-and-failures.
 */
import { ApiError, TapError, type FailureType } from './errors.js';

/**
 * Where the error happened: the connection check (GET /me, before any stream), a stream's list pages, or
 * the detail of one record (GET /users/{id}), whose list already gave the record's fields.
 */
export type Place =
  | { at: 'connection'; authMethod: string }
  | {
      at: 'stream';
      stream: string;
      path: string;
      permission?: string;
      pagesWritten: number;
      /** A child's parent stream. */ parent?: string;
    }
  | { at: 'detail'; stream: string; fallback: string };

export type Decision = 'fail-run' | 'skip-stream' | 'fail-stream' | 'tolerate';

export interface Verdict {
  decision: Decision;
  failureType: FailureType;
  /** The whole line: what happened, and what to do. */
  message: string;
  /** Why, in a few words, for the run summary: the error's own message, or what a skipped stream lacks. */
  reason: string;
}

/**
 * Where to report what only the project can fix. It names no address: package.json's `bugs` is the one place
 * the repository's address is written, and a message must not send anyone to an address that may be a
 * placeholder; the README's "Troubleshooting" says what to send, and where.
 */
export const REPORT = 'report it with this line and a log_level DEBUG log (README: "Troubleshooting")';

/**
 * The verdict on `error` at `place`; undefined for an error that is neither the API's nor the tap's (a bug,
 * or stdout closed), which the caller lets end the run.
 */
export function judge(error: unknown, place: Place): Verdict | undefined {
  if (!(error instanceof ApiError)) {
    if (!(error instanceof TapError)) return undefined;
    const decision = place.at === 'connection' ? 'fail-run' : 'fail-stream';
    // A failure of the tap's own (a page worker that stopped): the line names the stream it failed.
    const message =
      place.at !== 'connection' && !error.message.startsWith('stream ') ? `stream ${place.stream}: ${error.message}` : error.message;
    return { decision, failureType: error.failureType, message, reason: error.message };
  }
  if (place.at === 'connection') return connection(error, place.authMethod);
  if (place.at === 'detail' && ['unauthorized', 'not_found', 'client'].includes(error.kind)) {
    const message = `stream ${place.stream}: ${error.message}; such records are written as the list gives them (${place.fallback}). Grant the token the permission to read them, or deselect the stream.`;
    return { decision: 'tolerate', failureType: 'config_error', message, reason: error.message };
  }
  const verdict = stream(error, place.at === 'stream' ? place : undefined);
  return place.at === 'stream' && place.parent !== undefined
    ? { ...verdict, message: `${verdict.message.replace(/\.$/, '')}. ${childAdvice(place)}.` }
    : verdict;
}

/**
 * A child's error ends the child alone: the line says so, and names what the child reads and needs, so that
 * a person can tell its endpoint and permission from its parent's.
 */
function childAdvice({ stream, path, permission, parent }: Extract<Place, { at: 'stream' }>): string {
  const needs = permission ? `, which needs the permission ${permission}` : '';
  return (
    `${stream} is read under each ${parent} record (GET ${path}${needs}); ${parent} and the other streams go on, and ` +
    `${stream} keeps its bookmark, so that its records come with the next run`
  );
}

function connection(error: ApiError, authMethod: string): Verdict {
  const fail = (failureType: FailureType, message: string): Verdict => ({
    decision: 'fail-run',
    failureType,
    message,
    reason: error.message,
  });
  switch (error.kind) {
    case 'unauthorized':
      return fail(
        'config_error',
        `the API refused the token (HTTP 401 on GET /me): check "api_key" and "auth_method" (now "${authMethod}"); ` +
          'the token may be wrong, revoked or expired.',
      );
    case 'not_found':
      return fail(
        'config_error',
        `GET /me answered HTTP 404: check that "base_url" is the API root, such as https://acme.syncromsp.com/api/v1.`,
      );
    case 'client':
      return fail(
        'config_error',
        `the API answered GET /me but refused it (${error.message}): check "api_key", "auth_method" and that the token's user is active.`,
      );
    case 'unreadable':
      return fail('config_error', `${error.message}: check that "base_url" is the API root, such as https://acme.syncromsp.com/api/v1.`);
    default:
      return fail('transient_error', answered(error));
  }
}

/** A failure that outlasted the retries at the connection check: the server kept failing, or was not reached. */
function answered(error: ApiError): string {
  if (error.status === 429) return `the API kept answering GET /me with HTTP 429 (${error.message}): ${SHARED_BUDGET}.`;
  if (error.status !== undefined && error.status > 0) return `the API kept failing (${error.message}): run again later.`;
  return `cannot reach the API at "base_url" (${error.message}); check the URL and the network.`;
}

const SHARED_BUDGET = 'another client may share its 180 requests a minute; lower "requests_per_minute", or run later';

function stream(error: ApiError, place: Extract<Place, { at: 'stream' }> | undefined): Verdict {
  const fail = (failureType: FailureType, advice: string): Verdict => ({
    decision: 'fail-stream',
    failureType,
    message: `${error.message}: ${advice}`,
    reason: error.message,
  });
  switch (error.kind) {
    case 'unauthorized': {
      if (place && place.pagesWritten === 0) {
        const needs = place.permission ? ` (this stream needs ${place.permission})` : '';
        return {
          decision: 'skip-stream',
          failureType: 'config_error',
          message:
            `stream ${place.stream} skipped: the API refused the token on ${place.path} with HTTP 401${needs}. ` +
            `Grant the permission to the token's user, or deselect the stream. ${error.detail ?? ''}`.trim(),
          reason: `HTTP 401 on ${place.path}${needs}`,
        };
      }
      return fail(
        'config_error',
        'the API refused the token part-way through the stream (revoked or expired during the run?); check the token and run again',
      );
    }
    case 'not_found':
      return fail('config_error', 'the account has no such list (a module switched off?); deselect the stream, or check base_url');
    case 'client':
      return fail('system_error', `the API refused the request; ${REPORT}, with the stream name and this line`);
    case 'too_large':
      return fail(
        'config_error',
        'its pages are larger than max_response_mb even at 10 records a page; raise max_response_mb where the machine has the memory (about 4 times the setting), or deselect the stream',
      );
    case 'unreadable':
      return fail('transient_error', `the API answered with a body that is not its list; run again, and ${REPORT} if it persists`);
    default:
      if (error.status === 429) return fail('transient_error', `the API kept answering HTTP 429: ${SHARED_BUDGET}`);
      if (error.status === undefined || error.status === 0)
        return fail('transient_error', 'the API could not be reached; check the network, and run again (the other streams go on)');
      return fail('transient_error', 'the API kept failing; run again later (the other streams go on)');
  }
}
