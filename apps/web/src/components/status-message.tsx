import { ApiError } from '@cbmir/contract';
import type { ReactNode } from 'react';

/** A spinner and a sentence; put it inside an always-mounted aria-live region so it is announced. */
export function LoadingMessage({ children, testId }: { children: ReactNode; testId?: string }) {
  return (
    <div className="status status--loading" data-testid={testId ?? 'loading'}>
      <span className="spinner" aria-hidden="true" />
      <span>{children}</span>
    </div>
  );
}

/** Errors interrupt (role=alert) and show the server's own message, with its code for support. */
export function ErrorMessage({ error, title, action, testId }: { error: unknown; title: string; action?: ReactNode; testId?: string }) {
  const message = describeError(error);
  const code = error instanceof ApiError ? error.code : null;
  return (
    <div className="status status--error" role="alert" data-testid={testId ?? 'error'}>
      <p className="status__title">{title}</p>
      <p className="status__message" data-testid="error-message">
        {message}
      </p>
      {code && (
        <p className="status__code">
          Error code: <code data-testid="error-code">{code}</code>
        </p>
      )}
      {action}
    </div>
  );
}

export function describeError(error: unknown): string {
  if (error instanceof ApiError) return error.message;
  // fetch() rejects with a TypeError when the server cannot be reached at all.
  if (error instanceof TypeError) return 'The cbmir server could not be reached. Check that it is running.';
  // The client parses every body as JSON; an HTML error page from a proxy ends up here.
  if (error instanceof SyntaxError) return 'The server sent a response that is not JSON. Is a proxy in the way?';
  if (error instanceof Error) return error.message;
  return 'Something went wrong.';
}
