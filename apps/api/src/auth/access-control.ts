import { ForbiddenError, UnauthenticatedError, type AuthService, allows, type Principal } from '@cbmir/core';
import type { RouteAccess } from '@cbmir/contract';
import cookie from '@fastify/cookie';
import type { FastifyInstance, RouteOptions } from 'fastify';
import fp from 'fastify-plugin';

export const SESSION_COOKIE = 'cbmir_session';
export const CSRF_HEADER = 'x-csrf-token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Routes that need no declaration: the web app's static files and the API documentation. */
const isUndeclaredPublic = (url: string) => !url.startsWith('/api/') || url.startsWith('/api/docs');

/**
 * Who is calling and may they: reads a Bearer API key or the session cookie, then enforces the route's
 * declared access (`config.access`) and, for cookie sessions, the CSRF header on state-changing requests.
 * An /api route without a declared access fails at start-up: nothing is public by accident.
 */
export const accessControl = fp(async (app: FastifyInstance, deps: { auth: AuthService; accessByRoute: Map<string, RouteAccess> }) => {
  await app.register(cookie);
  app.decorateRequest('principal', null);

  app.addHook('onRoute', (route: RouteOptions) => {
    const access = route.config?.access;
    if (!access && !isUndeclaredPublic(route.url)) {
      throw new Error(`route ${route.method} ${route.url} declares no access (config.access)`);
    }
    for (const method of [route.method].flat()) deps.accessByRoute.set(`${method} ${route.url}`, access ?? 'public');
  });

  app.addHook('onRequest', async (request) => {
    const authorization = request.headers.authorization;
    if (authorization) {
      const [scheme, secret] = authorization.split(' ');
      if (scheme?.toLowerCase() !== 'bearer' || !secret) {
        throw new UnauthenticatedError('unauthenticated', 'Authorization must be "Bearer <API key>"');
      }
      request.principal = await deps.auth.authenticateApiKey(secret);
      if (!request.principal) throw new UnauthenticatedError('invalid_api_key', 'the API key is unknown, revoked or expired');
    } else {
      const token = request.cookies[SESSION_COOKIE];
      if (token) request.principal = await deps.auth.authenticateSession(token);
    }

    const access: RouteAccess = request.routeOptions.config?.access ?? 'public';
    if (access === 'public') return;
    const principal = request.principal;
    if (!principal) throw new UnauthenticatedError('unauthenticated', 'sign in or send an API key');
    if (!allows(access, principal.role)) throw new ForbiddenError('forbidden', `this needs the ${access} role`);
    if (principal.kind === 'user' && !SAFE_METHODS.has(request.method) && request.headers[CSRF_HEADER] !== principal.csrfToken) {
      throw new ForbiddenError('csrf', `missing or wrong ${CSRF_HEADER} header`);
    }
  });
});

declare module 'fastify' {
  interface FastifyContextConfig {
    access?: RouteAccess;
  }
  interface FastifyRequest {
    principal: Principal | null;
  }
}
