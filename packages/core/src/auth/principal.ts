import type { Role } from '@cbmir/db';

/** Who is calling: a signed-in user (browser session) or a REST client's API key. */
export type Principal =
  | { kind: 'user'; id: string; name: string; role: Role; sessionId: string; csrfToken: string; expiresAt: Date }
  | { kind: 'api_key'; id: string; name: string; role: Role };

/** What a route requires. Every /api route declares one; `public` is for health checks and login. */
export type Access = 'public' | Role;

export function allows(access: Access, role: Role | undefined): boolean {
  if (access === 'public') return true;
  if (!role) return false;
  return access === 'clinician' ? role === 'clinician' || role === 'admin' : role === 'admin';
}
