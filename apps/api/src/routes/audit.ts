import { routes } from '@cbmir/contract';
import type { Database } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routeOptions } from './route-options.ts';

export const auditRoutes =
  (deps: { db: Database }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.audit, { tags: ['audit'], summary: 'The audit trail, newest first, filterable, paginated by `before`' }),
      handler: async (request) => {
        const q = request.query;
        const limit = q.limit ?? 50;
        const events = await deps.db.audit.list({
          action: q.action,
          actorId: q.actorId,
          targetId: q.targetId,
          from: q.from ? new Date(q.from) : undefined,
          to: q.to ? new Date(q.to) : undefined,
          before: q.before,
          limit,
        });
        return {
          events: events.map((e) => ({ ...e, at: e.at.toISOString() })),
          nextBefore: events.length === limit ? events[events.length - 1]!.id : null,
        };
      },
    });
  };
