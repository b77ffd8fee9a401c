import type { AuditTrail } from '@cbmir/core';
import { routes } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routeOptions } from './route-options.ts';

export const auditRoutes =
  (deps: { audit: AuditTrail }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.audit, { tags: ['audit'], summary: 'The audit trail, newest first, filterable, paginated by `before`' }),
      handler: async (request) => {
        const q = request.query;
        const { events, nextBefore } = await deps.audit.page({
          action: q.action,
          actorId: q.actorId,
          targetId: q.targetId,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          before: q.before,
          limit: q.limit ?? 50,
        });
        return { events: events.map((e) => ({ ...e, at: e.at.toISOString() })), nextBefore };
      },
    });
  };
