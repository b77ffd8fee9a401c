import { InvalidInputError, UnauthenticatedError, type AuditTrail, type AuthService } from '@cbmir/core';
import { type Role, routes, type SessionResponse } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SESSION_COOKIE } from '../auth/access-control.ts';
import { routeOptions } from './route-options.ts';

/** The REST form of a signed-in session (contract SessionResponse), from sign-in or from the session cookie. */
const toSessionResponse = (user: { id: string; username: string; role: Role }, csrfToken: string, expiresAt: Date): SessionResponse => ({
  user: { id: user.id, username: user.username, role: user.role },
  csrfToken,
  expiresAt: expiresAt.toISOString(),
});

export const authRoutes =
  (deps: { auth: AuthService; audit: AuditTrail; secureCookies: boolean }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.login, { tags: ['auth'], summary: 'Sign in: sets an httpOnly session cookie and returns the CSRF token' }),
      handler: async (request, reply) => {
        const { username, password } = request.body;
        const session = await deps.auth.login(username, password, request.ip, (tx, user) => {
          request.principal = { kind: 'user', id: user.id, name: user.username, role: user.role, sessionId: '', csrfToken: '', expiresAt: new Date() };
          return deps.audit.recordIn(tx, request, 'auth.login', { type: 'user', id: user.id });
        });
        if (!session.ok) {
          // Never the typed username (often a password typed in the wrong field): the user's id when it exists.
          await deps.audit.recordBounded(request, 'auth.login_failed', request.ip, session.userId ? { type: 'user', id: session.userId } : null, {
            knownUser: session.userId !== null,
          });
          throw new UnauthenticatedError('invalid_credentials', 'wrong username or password');
        }
        reply.setCookie(SESSION_COOKIE, session.token, {
          path: '/',
          httpOnly: true,
          sameSite: 'strict',
          secure: deps.secureCookies,
          expires: session.expiresAt,
        });
        return toSessionResponse(session.user, session.csrfToken, session.expiresAt);
      },
    });

    app.route({
      ...routeOptions(routes.session, { tags: ['auth'], summary: 'The signed-in user and the CSRF token' }),
      handler: async (request) => {
        const principal = request.principal!;
        if (principal.kind !== 'user') throw new InvalidInputError('not_a_session', 'API keys have no session');
        return toSessionResponse({ id: principal.id, username: principal.name, role: principal.role }, principal.csrfToken, principal.expiresAt);
      },
    });

    app.route({
      ...routeOptions(routes.logout, { tags: ['auth'], summary: 'Sign out: ends the session' }),
      handler: async (request, reply) => {
        await deps.auth.logout(request.principal!);
        await deps.audit.record(request, 'auth.logout');
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const };
      },
    });
  };
