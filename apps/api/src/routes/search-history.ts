import { routes } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { SearchHistory } from '@cbmir/core';
import { routeOptions } from './route-options.ts';

/** "My searches": every route answers for the caller's own searches only; anyone else's is 404. */
export const searchHistoryRoutes =
  (deps: { history: SearchHistory }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.mySearches, {
        tags: ['search'],
        summary: 'My searches: the caller’s own recent image and case searches, newest first (limit/offset)',
        description:
          'Each with its time, k, filters, region, how many cases came back and the nearest one. A user sees only their own, an API key only its own.',
      }),
      handler: async (request) => deps.history.list(request.principal!, { limit: request.query.limit ?? 20, offset: request.query.offset ?? 0 }),
    });

    app.route({
      ...routeOptions(routes.mySearchQuery, {
        tags: ['search'],
        summary: 'The query photograph of one of my image searches, as uploaded (a DICOM file’s image), to search with again',
      }),
      handler: async (request, reply) => {
        const { bytes, contentType } = await deps.history.queryImage(request.principal!, request.params.id);
        return reply.type(contentType).header('cache-control', 'private, max-age=86400').send(bytes);
      },
    });

    app.route({
      ...routeOptions(routes.mySearchThumbnail, {
        tags: ['search'],
        summary: 'A JPEG thumbnail (at most 256 px) of one of my image searches’ query photograph',
      }),
      handler: async (request, reply) => {
        const bytes = await deps.history.queryThumbnail(request.principal!, request.params.id);
        return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(bytes);
      },
    });
  };
