import { Health, Readiness } from '@cbmir/contract';
import type { Database } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ModelRuntime } from '@cbmir/core';
import { toModelVersionDto } from './dto.ts';

export const healthRoutes =
  (deps: { db: Database; runtime: ModelRuntime }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/healthz',
      { config: { access: 'public' }, schema: { tags: ['health'], summary: 'Liveness: the process answers', response: { 200: Health } } },
      async () => ({
        status: 'ok' as const,
      }),
    );

    app.get(
      '/readyz',
      {
        config: { access: 'public' },
        schema: {
          tags: ['health'],
          summary: 'Readiness: database reachable and model loaded (503 otherwise)',
          response: { 200: Readiness, 503: Readiness },
        },
      },
      async (_request, reply) => {
        const images = await deps.db.images.count().catch(() => null);
        const version = deps.runtime.version;
        const ready = images !== null && version !== null;
        return reply.code(ready ? 200 : 503).send({
          status: ready ? 'ready' : 'not_ready',
          database: images !== null,
          model: version ? toModelVersionDto(version) : null,
          backend: deps.runtime.backend,
          images: images ?? 0,
        });
      },
    );
  };
