import { KQuery, SearchResponse, VectorSearchBody } from '@cbmir/contract';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { AppError } from '../errors.ts';
import type { SearchService } from '../services/search-service.ts';
import { toModelVersionDto } from './dto.ts';
import { errorResponses } from './error-responses.ts';

export const searchRoutes =
  (deps: { search: SearchService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.post(
      '/api/v1/search',
      {
        schema: {
          tags: ['search'],
          summary: 'Find the cases most similar to an uploaded fundus photo',
          description:
            'multipart/form-data with one file field named `image` (JPEG, PNG, TIFF or WebP). Results are ordered by ' +
            'Euclidean (L2) distance between embeddings under the active model version.',
          consumes: ['multipart/form-data'],
          querystring: KQuery,
          response: { 200: SearchResponse, ...errorResponses(400, 413, 415, 422, 503) },
        },
      },
      async (request) => {
        if (!request.isMultipart()) {
          throw new AppError(415, 'not_multipart', 'send the image as multipart/form-data in a field named "image"');
        }
        const file = await request.file();
        if (!file || file.fieldname !== 'image') {
          throw new AppError(400, 'missing_image', 'no file in the form field "image"');
        }
        const bytes = await file.toBuffer();
        const { model, results } = await deps.search.searchByImage(bytes, request.query.k ?? 10);
        return { model: toModelVersionDto(model), results };
      },
    );

    app.post(
      '/api/v1/search/vector',
      {
        schema: {
          tags: ['search'],
          summary: 'Find the cases nearest to an embedding vector of the active model version',
          body: VectorSearchBody,
          response: { 200: SearchResponse, ...errorResponses(400, 503) },
        },
      },
      async (request) => {
        const { model, results } = await deps.search.searchByVector(request.body.vector, request.body.k ?? 10);
        return { model: toModelVersionDto(model), results };
      },
    );
  };
