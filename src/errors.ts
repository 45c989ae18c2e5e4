// Typed errors: a stable code, a one-line message, an optional hint, the cause.
// main.ts is the only place that turns them into exit codes and output.

export type ErrorCode =
  | 'internal'
  | 'usage'
  | 'provider_refused'
  | 'network'
  | 'not_logged_in'
  | 'cancelled';

// SPEC.md "Exit codes".
export const EXIT_CODES: Record<ErrorCode, number> = {
  internal: 1,
  usage: 2,
  provider_refused: 3,
  network: 4,
  not_logged_in: 5,
  cancelled: 130,
};

/** An error's first message line: enough for one `token:` line, never a stack. */
export function firstLine(err: unknown): string {
  return String((err as Error)?.message ?? err).split('\n')[0] || 'unknown error';
}

export class TokenError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'TokenError';
  }
}

export class UsageError extends TokenError {
  constructor(message: string, hint?: string) {
    super('usage', message, hint);
  }
}

/** The token endpoint said no: a 4xx, `invalid_grant`, a bad client. */
export class ProviderError extends TokenError {
  constructor(
    message: string,
    readonly status: number,
    readonly error?: string,
    readonly errorDescription?: string,
    hint?: string,
  ) {
    super('provider_refused', message, hint);
  }
}

export class NetworkError extends TokenError {
  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super('network', message, hint, options);
  }
}

export class NotLoggedInError extends TokenError {
  constructor(message: string, hint?: string) {
    super('not_logged_in', message, hint);
  }
}

export class CancelledError extends TokenError {
  constructor() {
    super('cancelled', 'cancelled');
  }
}

/** `token exec`: the child's exit code passes through, with nothing printed. */
export class ChildExitError extends TokenError {
  constructor(readonly exitCode: number) {
    super('internal', `command exited with ${exitCode}`);
  }
}
