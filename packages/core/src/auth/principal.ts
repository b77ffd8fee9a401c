import type { RouteAccess } from '@cbmir/contract';
import type { Role } from '@cbmir/db';

/** Who is calling: a signed-in user (browser session) or a REST client's API key. */
export type Principal =
  | { kind: 'user'; id: string; name: string; role: Role; sessionId: string; csrfToken: string; expiresAt: Date }
  | { kind: 'api_key'; id: string; name: string; role: Role };

/** Whether a caller of `role` (none: not signed in) may call a route that requires `access` (the contract's route table says which). */
export function allows(access: RouteAccess, role: Role | undefined): boolean {
  if (access === 'public') return true;
  if (!role) return false;
  return access === 'clinician' ? role === 'clinician' || role === 'admin' : role === 'admin';
}
