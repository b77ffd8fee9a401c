import type { ReactNode } from 'react';
import { useSession } from '../api/use-session.ts';
import { ForbiddenNotice } from './forbidden-notice.tsx';

/**
 * Admin pages: a clinician who opens one by its address gets a clear refusal, not a page of 403 errors.
 * The server enforces the role on every request; this only saves the round trips. Inside <RequireSession>.
 */
export function RequireAdmin({ children }: { children: ReactNode }) {
  const role = useSession().data?.user.role;
  if (role !== 'admin') return <ForbiddenNotice />;
  return <>{children}</>;
}

export function useIsAdmin(): boolean {
  return useSession().data?.user.role === 'admin';
}
