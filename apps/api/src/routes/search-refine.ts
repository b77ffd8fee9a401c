import { ROCCHIO_WEIGHTS, routes } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { AuditTrail, SearchService } from '@cbmir/core';
import { toSearchAnswer } from './dto.ts';
import { routeOptions } from './route-options.ts';

const { query: a, liked: b, disliked: c } = ROCCHIO_WEIGHTS;

/** Refine by example: "more like this" / "less like this" on a search's results, re-ranked (Rocchio). */
export const searchRefineRoutes =
  (deps: { search: SearchService; audit: AuditTrail; searchRateLimit: number }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(
        routes.refineSearch,
        {
          tags: ['search'],
          summary: 'Refine a search by example: more like the liked cases, less like the disliked ones',
          description:
            `Rocchio relevance feedback: the refined query is (${a}*q + ${b}*mean(liked) - ${c}*mean(disliked)) / (${a} + ${b} - ${c}), with q the query's ` +
            'embedding (`queryVector` of the image or case search being refined) and the cases’ stored embeddings under the ' +
            'active model (a term with no cases is left out, also from the divisor), then searched under the filters like /search/vector. Send every ' +
            'mark made so far with the original q: each step starts from it. The response’s `queryVector` is the refined query. ' +
            'No marks, a case marked both ways, or a vector of the wrong dimension: 400; a case that no longer exists: 404.',
        },
        { rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } },
      ),
      handler: async (request) => {
        const { vector, liked = [], disliked = [], k = 10, filters = {} } = request.body;
        const found = await deps.search.refine(vector, liked, disliked, k, filters);
        await deps.audit.record(request, 'search.refine', null, { modelVersionId: found.model.id, k, filters, liked, disliked, results: found.results.length });
        return { ...toSearchAnswer(found), queryVector: found.queryVector };
      },
    });
  };
