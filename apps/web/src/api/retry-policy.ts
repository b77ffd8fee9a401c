import { ApiError } from '@cbmir/contract';

/** A 4xx (unknown or malformed id, no session) will not get better by asking again; a 5xx might. */
export function retryUnlessClientError(failureCount: number, error: Error): boolean {
  if (error instanceof ApiError && error.status >= 400 && error.status < 500) return false;
  return failureCount < 2;
}
