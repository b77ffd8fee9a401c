import { routes } from '@cbmir/contract';
import type { StoredApiKey } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail, AuthService } from '@cbmir/core';
import { routeOptions } from './route-options.ts';

const iso = (date: Date | null) => (date ? date.toISOString() : null);
const toApiKeyDto = (key: StoredApiKey) => ({
  id: key.id,
  name: key.name,
  prefix: key.prefix,
  role: key.role,
  createdAt: key.createdAt.toISOString(),
  expiresAt: iso(key.expiresAt),
  revokedAt: iso(key.revokedAt),
  lastUsedAt: iso(key.lastUsedAt),
});

export const apiKeyRoutes =
  (deps: { auth: AuthService; audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.apiKeys, { tags: ['api keys'], summary: 'All API keys (never their secrets)' }),
      handler: async () => ({ apiKeys: (await deps.auth.listApiKeys()).map(toApiKeyDto) }),
    });

    app.route({
      ...routeOptions(routes.createApiKey, { tags: ['api keys'], summary: 'Issue an API key for a REST client; the secret is in this response only' }),
      handler: async (request, reply) => {
        const { key, secret } = await deps.auth.createApiKey(
          {
            name: request.body.name,
            role: request.body.role,
            expiresAt: request.body.expiresAt ? new Date(request.body.expiresAt) : null,
            createdBy: request.principal?.kind === 'user' ? request.principal.id : null,
          },
          (tx, created) => deps.audit.recordIn(tx, request, 'api_key.create', { type: 'api_key', id: created.id }, { name: created.name, role: created.role }),
        );
        return reply.code(201).send({ apiKey: toApiKeyDto(key), secret });
      },
    });

    app.route({
      ...routeOptions(routes.revokeApiKey, { tags: ['api keys'], summary: 'Revoke an API key, effective at once' }),
      handler: async (request) => {
        const key = await deps.auth.revokeApiKey(request.params.id, (tx, revoked) =>
          deps.audit.recordIn(tx, request, 'api_key.revoke', { type: 'api_key', id: revoked.id }, { name: revoked.name }),
        );
        return toApiKeyDto(key);
      },
    });
  };
