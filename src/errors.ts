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
