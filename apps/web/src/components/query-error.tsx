import { ApiError } from '@cbmir/contract';
import type { ReactNode } from 'react';
import { ForbiddenNotice } from './forbidden-notice.tsx';
import { ErrorMessage } from './status-message.tsx';

/** A failed load: the role refusal as its own page (the role may have changed since sign-in), else the error. */
export function QueryError({ error, title, testId, action }: { error: Error; title: string; testId?: string; action?: ReactNode }) {
  if (error instanceof ApiError && error.status === 403 && error.code === 'forbidden') return <ForbiddenNotice />;
  return <ErrorMessage error={error} title={title} testId={testId} action={action} />;
}
