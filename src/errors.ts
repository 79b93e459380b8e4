/**
 * Errors a user can cause or act on. They end the run with one CRITICAL line (no stack trace) and an exit
 * code: 2 for usage errors (bad flags, config, catalog, state), 1 for failures at run time (network,
 * credentials, the API). Whose fault it is (Airbyte's failure_type) goes with them.
 */
export type FailureType = 'config_error' | 'system_error' | 'transient_error';

export class TapError extends Error {
  constructor(
    message: string,
    readonly exitCode: 1 | 2 = 1,
    readonly failureType: FailureType = 'system_error',
  ) {
    super(message);
    this.name = 'TapError';
  }
}

/** A mistake in what the user gave: flags, config, catalog or state files. Exit code 2. */
export class UsageError extends TapError {
  constructor(message: string) {
    super(message, 2, 'config_error');
    this.name = 'UsageError';
  }
}

/** What a failed request means to the caller (api/http.ts makes these; error-policy.ts judges them). */
export type ApiErrorKind =
  | 'unauthorized' // 401: bad token, or a permission the token lacks
  | 'not_found' // 404
  | 'client' // other 4xx: a request the API refuses
  | 'unreadable' // a 2xx whose body the caller's check refused for good
  | 'heavy' // 504, no answer in time or one over max_response_mb, reported at once because the caller asked (a page too heavy)
  | 'too_large' // an answer over max_response_mb where the caller cannot ask a smaller page
  | 'exhausted'; // retriable failures until the retries ran out

export class ApiError extends Error {
  constructor(
    readonly kind: ApiErrorKind,
    message: string,
    readonly status?: number,
    /** The `error`/`message` text of a JSON error body, redacted and shortened; never raw HTML. */
    readonly detail?: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}
