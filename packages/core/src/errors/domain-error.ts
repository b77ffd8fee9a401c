/**
 * What went wrong, in the application's terms: each adapter decides what a kind means to its caller (the API
 * an HTTP status, apps/api/src/http-error.ts; the CLI an exit code, apps/cli/src/exit-code.ts).
 */
export type DomainErrorKind =
  | 'invalid_input'
  | 'unauthenticated'
  | 'forbidden'
  | 'not_found'
  | 'conflict'
  | 'too_large'
  | 'unsupported_media'
  | 'unprocessable'
  | 'rate_limited'
  | 'unavailable'
  | 'insufficient_storage';

export interface DomainErrorOptions {
  /** How long the caller should wait before trying again (rate_limited, unavailable). */
  retryAfterSeconds?: number;
  cause?: unknown;
}

/**
 * An error the caller can act on: `code` is the machine-readable reason (e.g. `case_not_found`, sent as the
 * `error` field of an API response), `message` says it to a person.
 */
export abstract class DomainError extends Error {
  abstract readonly kind: DomainErrorKind;
  readonly retryAfterSeconds: number | undefined;

  constructor(
    readonly code: string,
    message: string,
    options: DomainErrorOptions = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}

/** The input is wrong (a bad filter, a malformed file, a weak password). */
export class InvalidInputError extends DomainError {
  readonly kind = 'invalid_input';
}
/** Nobody is signed in, or the credentials are not valid. */
export class UnauthenticatedError extends DomainError {
  readonly kind = 'unauthenticated';
}
/** The caller is known but may not do this. */
export class ForbiddenError extends DomainError {
  readonly kind = 'forbidden';
}
/** What was named does not exist (any more). */
export class NotFoundError extends DomainError {
  readonly kind = 'not_found';
}
/** The request contradicts the current state (a name taken, a job already finished, not yet indexed). */
export class ConflictError extends DomainError {
  readonly kind = 'conflict';
}
/** The input breaks a size limit. */
export class TooLargeError extends DomainError {
  readonly kind = 'too_large';
}
/** The input is not of a type this accepts (not an archive, not a form). */
export class UnsupportedMediaError extends DomainError {
  readonly kind = 'unsupported_media';
}
/** The input has the right type but cannot be used (a corrupt or empty archive). */
export class UnprocessableError extends DomainError {
  readonly kind = 'unprocessable';
}
/** The caller has used up a budget; retryAfterSeconds says when it refills. */
export class RateLimitedError extends DomainError {
  readonly kind = 'rate_limited';
}
/** Not possible right now (busy, model not loaded); may work later, after retryAfterSeconds if given. */
export class UnavailableError extends DomainError {
  readonly kind = 'unavailable';
}
/** No room left to store the input. */
export class InsufficientStorageError extends DomainError {
  readonly kind = 'insufficient_storage';
}

/** One of each kind, for tables that must cover them all (and their tests). */
export const DOMAIN_ERRORS: Record<DomainErrorKind, new (code: string, message: string, options?: DomainErrorOptions) => DomainError> = {
  invalid_input: InvalidInputError,
  unauthenticated: UnauthenticatedError,
  forbidden: ForbiddenError,
  not_found: NotFoundError,
  conflict: ConflictError,
  too_large: TooLargeError,
  unsupported_media: UnsupportedMediaError,
  unprocessable: UnprocessableError,
  rate_limited: RateLimitedError,
  unavailable: UnavailableError,
  insufficient_storage: InsufficientStorageError,
};

/** `<what> not found`, code `not_found`. */
export const notFound = (what: string) => new NotFoundError('not_found', `${what} not found`);
