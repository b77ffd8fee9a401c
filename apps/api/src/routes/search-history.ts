import { SearchHistoryPage, SearchHistoryParams, SearchHistoryQuery } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import type { SearchHistory } from '@cbmir/core';
import { errorResponses } from './error-responses.ts';

/** Raw image bytes in OpenAPI; Fastify sends Buffers as they are. */
const ImageBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

/** "My searches": every route answers for the caller's own searches only; anyone else's is 404. */
export const searchHistoryRoutes =
  (deps: { history: SearchHistory }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.get(
      '/api/v1/searches',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['search'],
          summary: 'My searches: the caller’s own recent image and case searches, newest first (limit/offset)',
          description:
            'Each with its time, k, filters, region, how many cases came back and the nearest one. A user sees only their own, an API key only its own.',
          querystring: SearchHistoryQuery,
          response: { 200: SearchHistoryPage, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => deps.history.list(request.principal!, { limit: request.query.limit ?? 20, offset: request.query.offset ?? 0 }),
    );

    app.get(
      '/api/v1/searches/:id/query',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['search'],
          summary: 'The query photograph of one of my image searches, as uploaded (a DICOM file’s image), to search with again',
          params: SearchHistoryParams,
          response: { 200: ImageBytes, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const { bytes, contentType } = await deps.history.queryImage(request.principal!, request.params.id);
        return reply.type(contentType).header('cache-control', 'private, max-age=86400').send(bytes);
      },
    );

    app.get(
      '/api/v1/searches/:id/thumbnail',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['search'],
          summary: 'A JPEG thumbnail (at most 256 px) of one of my image searches’ query photograph',
          params: SearchHistoryParams,
          response: { 200: ImageBytes, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const bytes = await deps.history.queryThumbnail(request.principal!, request.params.id);
        return reply.type('image/jpeg').header('cache-control', 'private, max-age=86400').send(bytes);
      },
    );
  };
