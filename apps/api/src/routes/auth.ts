import { InvalidInputError, UnauthenticatedError, type AuditTrail, type AuthService } from '@cbmir/core';
import { LoginBody, Ok, SessionResponse } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { SESSION_COOKIE } from '../auth/access-control.ts';
import { errorResponses } from './error-responses.ts';

export const authRoutes =
  (deps: { auth: AuthService; audit: AuditTrail; secureCookies: boolean }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/v1/auth/login',
      {
        config: { access: 'public' },
        schema: {
          tags: ['auth'],
          summary: 'Sign in: sets an httpOnly session cookie and returns the CSRF token',
          body: LoginBody,
          response: { 200: SessionResponse, ...errorResponses(400, 401, 429) },
        },
      },
      async (request, reply) => {
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
        return {
          user: { id: session.user.id, username: session.user.username, role: session.user.role },
          csrfToken: session.csrfToken,
          expiresAt: session.expiresAt.toISOString(),
        };
      },
    );

    app.get(
      '/api/v1/auth/session',
      {
        config: { access: 'clinician' },
        schema: { tags: ['auth'], summary: 'The signed-in user and the CSRF token', response: { 200: SessionResponse, ...errorResponses(401) } },
      },
      async (request) => {
        const principal = request.principal!;
        if (principal.kind !== 'user') throw new InvalidInputError('not_a_session', 'API keys have no session');
        return {
          user: { id: principal.id, username: principal.name, role: principal.role },
          csrfToken: principal.csrfToken,
          expiresAt: principal.expiresAt.toISOString(),
        };
      },
    );

    app.post(
      '/api/v1/auth/logout',
      {
        config: { access: 'clinician' },
        schema: { tags: ['auth'], summary: 'Sign out: ends the session', response: { 200: Ok, ...errorResponses(401, 403) } },
      },
      async (request, reply) => {
        await deps.auth.logout(request.principal!);
        await deps.audit.record(request, 'auth.logout');
        reply.clearCookie(SESSION_COOKIE, { path: '/' });
        return { ok: true as const };
      },
    );
  };
