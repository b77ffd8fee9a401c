import { DomainError, type DomainErrorKind } from '@cbmir/core';
import { AppError } from './errors.ts';

/** The one place a domain error kind becomes an HTTP status. */
export const HTTP_STATUS: Record<DomainErrorKind, number> = {
  invalid_input: 400,
  unauthenticated: 401,
  forbidden: 403,
  not_found: 404,
  conflict: 409,
  too_large: 413,
  unsupported_media: 415,
  unprocessable: 422,
  rate_limited: 429,
  unavailable: 503,
  insufficient_storage: 507,
};

export interface HttpErrorResponse {
  status: number;
  body: { error: string; message: string };
  /** Sent as Retry-After. */
  retryAfterSeconds?: number;
}

/**
 * The response for an error: a domain error as its kind's status and `{ error: code, message }` (with
 * Retry-After when it says when to retry), the API's own AppError as its status; anything else as 500
 * `internal`, its details left to the log.
 */
export function httpErrorResponse(error: unknown): HttpErrorResponse {
  if (error instanceof DomainError) {
    const response: HttpErrorResponse = { status: HTTP_STATUS[error.kind], body: { error: error.code, message: error.message } };
    if (error.retryAfterSeconds !== undefined) response.retryAfterSeconds = error.retryAfterSeconds;
    return response;
  }
  if (error instanceof AppError) return { status: error.statusCode, body: { error: error.code, message: error.message } };
  return { status: 500, body: { error: 'internal', message: 'internal server error' } };
}
