import { routes } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { ImageCatalog, ModelRuntime } from '@cbmir/core';
import { toModelVersionDto } from './dto.ts';
import { routeOptions } from './route-options.ts';

export const healthRoutes =
  (deps: { images: ImageCatalog; runtime: ModelRuntime }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.health, { tags: ['health'], summary: 'Liveness: the process answers' }),
      handler: async () => ({
        status: 'ok' as const,
      }),
    });

    app.route({
      ...routeOptions(routes.readiness, { tags: ['health'], summary: 'Readiness: database reachable and model loaded (503 otherwise)' }),
      handler: async (_request, reply) => {
        const images = await deps.images.count().catch(() => null);
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
    });
  };
