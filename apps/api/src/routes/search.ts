import {
  InvalidInputError,
  UnsupportedMediaError,
  type AuditTrail,
  type SearchAdmission,
  type SearchHistory,
  checkRegion,
  cropQuery,
  toImageFilter,
  type SearchService,
} from '@cbmir/core';
import { pickSearchFilters, regionOfQuery, routes } from '@cbmir/contract';
import { contentHash, MIN_REGION_SIDE, readImageHeader } from '@cbmir/imaging';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toSearchAnswer } from './dto.ts';
import { routeOptions } from './route-options.ts';
import { readImageField } from './image-field.ts';

export const searchRoutes =
  (deps: {
    search: SearchService;
    audit: AuditTrail;
    searchRateLimit: number;
    admission: SearchAdmission;
    history: SearchHistory;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(
        routes.searchByImage,
        {
          tags: ['search'],
          summary: 'Find the cases most similar to an uploaded fundus photo',
          description:
            'multipart/form-data with one file field named `image` (JPEG, PNG, TIFF, WebP, or DICOM with JPEG Baseline or uncompressed RGB pixels). Results are ordered by ' +
            'Euclidean (L2) distance between embeddings under the active model version. Filters (grade, eye, source, ' +
            'ingest dates, a patient to leave out) narrow the cases searched; k cases still come back whenever k pass ' +
            'them. Contradictory or unknown filters: 400 invalid_filter; filters nothing passes: no results, with `shortfall`. ' +
            'Refine by region: regionX, regionY, regionWidth, regionHeight (fractions of the upright photograph) search that ' +
            'rectangle instead: the photograph is cropped to it, then preprocessed and embedded as a whole photograph would be ' +
            `(400 invalid_region for a region outside the photograph, without area, or under ${MIN_REGION_SIDE} px on a side). ` +
            'The search is kept in the caller’s own history (GET /api/v1/searches), query photograph included.',
        },
        { rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } },
      ),
      handler: async (request, reply) => {
        if (!request.isMultipart()) {
          throw new UnsupportedMediaError('not_multipart', 'send the image as multipart/form-data in a field named "image"');
        }
        // Bad filters are refused before the upload is read or charged.
        const filters = pickSearchFilters(request.query);
        toImageFilter(filters);
        const region = regionOfQuery(request.query);
        if (region === 'partial')
          throw new InvalidInputError('invalid_region', 'give all four of regionX, regionY, regionWidth and regionHeight, or none of them');
        if (region) checkRegion(region);
        // A DICOM photograph is searched by its image (its header is not kept).
        const { bytes, query } = await deps.search.readQuery(await readImageField(request));
        // Charged by the header's size before any pixel is decoded; then a bounded queue for the CPU work.
        const header = await readImageHeader(bytes);
        if (region) checkRegion(region, header);
        deps.admission.charge(request.principal!.id, (header.width * header.height) / 1e6);
        const found = await deps.admission.run(async () =>
          deps.search.searchByImage(region ? await cropQuery(bytes, region) : bytes, request.query.k ?? 10, filters),
        );
        const { model, results, timings, batchSize } = found;
        // Where the time went (and how many images shared the forward pass), for dev tools and `pnpm bench search`.
        const durations = Object.entries(timings).map(([name, ms]) => `${name};dur=${ms.toFixed(1)}`);
        reply.header('server-timing', [...durations, `batch;desc="${batchSize}"`].join(', '));
        await deps.audit.record(request, 'search.image', null, {
          modelVersionId: model.id,
          queryImageSha256: contentHash(bytes),
          k: request.query.k ?? 10,
          filters,
          ...(region ? { region } : {}),
          results: results.length,
        });
        // The history is a convenience: a data directory that cannot take the photo (a full disk) must not cost the answer.
        const historyId = await deps.history
          .recordImage(request.principal!, bytes, region, { k: request.query.k ?? 10, filters, modelVersionId: model.id, results })
          .catch((error: unknown) => {
            request.log.warn({ err: error }, 'this search could not be kept in the caller’s history');
            return undefined;
          });
        return { ...toSearchAnswer(found), query, queryVector: found.queryVector, ...(historyId ? { historyId } : {}) };
      },
    });

    app.route({
      ...routeOptions(
        routes.searchByVector,
        {
          tags: ['search'],
          summary: 'Find the cases nearest to an embedding vector of the active model version',
        },
        { rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } },
      ),
      handler: async (request) => {
        const filters = request.body.filters ?? {};
        const found = await deps.search.searchByVector(request.body.vector, request.body.k ?? 10, filters);
        await deps.audit.record(request, 'search.vector', null, {
          modelVersionId: found.model.id,
          k: request.body.k ?? 10,
          filters,
          results: found.results.length,
        });
        return toSearchAnswer(found);
      },
    });
  };
