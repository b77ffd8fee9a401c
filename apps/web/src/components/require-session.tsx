import type { ReactNode } from 'react';
import { Navigate, useLocation } from 'react-router-dom';
import { useSession } from '../api/use-session.ts';
import { ErrorMessage, LoadingMessage } from './status-message.tsx';

/** Cases are patient data: every page but sign-in needs a session. */
export function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession();
  const location = useLocation();

  if (session.isPending) {
    return (
      <div className="live-region" aria-live="polite">
        <LoadingMessage testId="session-loading">Checking your session…</LoadingMessage>
      </div>
    );
  }
  if (session.isError) {
    return <ErrorMessage error={session.error} title="The server could not be reached" testId="session-error" />;
  }
  if (session.data === null) {
    const next = `${location.pathname}${location.search}`;
    return <Navigate to={`/login?next=${encodeURIComponent(next)}`} replace />;
  }
  return <>{children}</>;
}
