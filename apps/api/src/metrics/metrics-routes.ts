import { routes } from '@cbmir/contract';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import { routeOptions } from '../routes/route-options.ts';
import type { CbmirMetrics } from '@cbmir/core';

/** Requests that matched no route: one series for all of them, whatever URL was asked for. */
const UNMATCHED = '(unmatched)';

/**
 * Times every request by its route pattern (/api/v1/images/:id, never the raw URL) and status, and serves
 * the metrics at GET /metrics to the admin role (session or API key). Registered before the routes so the
 * hook sees all of them, 404s included.
 */
export const metricsRoutes = fp(async (app: FastifyInstance, deps: { metrics: CbmirMetrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    deps.metrics.observeRequest(request.method, request.routeOptions.url ?? UNMATCHED, reply.statusCode, reply.elapsedTime / 1000);
  });

  app.route({
    ...routeOptions(routes.metrics, {
      tags: ['health'],
      summary: 'Prometheus metrics (text exposition format): request latency, embedding, jobs, images per version, engine',
    }),
    handler: async (_request, reply) => reply.header('content-type', deps.metrics.contentType).send(await deps.metrics.text()),
  });
});
