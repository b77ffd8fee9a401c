import { notFound, type FileStore, type AuditTrail, type SearchHistory, originalUrl, thumbnailUrl, type SearchService } from '@cbmir/core';
import {
  EmbeddingResponse,
  ImageIdParams,
  ImageList,
  ImageListQuery,
  ImageRecord,
  pickSearchFilters,
  SamePatientImages,
  SearchResponse,
  SimilarQuery,
} from '@cbmir/contract';
import type { StoredImage } from '@cbmir/db';
import type { Database } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { toModelVersionDto } from './dto.ts';
import { errorResponses } from './error-responses.ts';

/** Raw image bytes in OpenAPI; Fastify sends Buffers as they are, without JSON serialisation. */
const ImageBytes = Type.Unsafe<Buffer>({ type: 'string', format: 'binary' });

const CONTENT_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', tiff: 'image/tiff', webp: 'image/webp' };

const toImageSummary = (image: StoredImage) => ({
  id: image.id,
  grade: image.grade,
  eye: image.eye,
  source: image.source,
  createdAt: image.createdAt.toISOString(),
  thumbnailUrl: thumbnailUrl(image.id),
});

export const imageRoutes =
  (deps: {
    db: Database;
    files: FileStore;
    search: SearchService;
    audit: AuditTrail;
    searchRateLimit: number;
    history: SearchHistory;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    async function findImage(id: string) {
      // A replica first; the primary when the replica has not replayed the case yet (opened right after upload).
      const image = (await deps.db.reads.images.findById(id)) ?? (await deps.db.images.findById(id));
      if (!image) throw notFound('image');
      return image;
    }

    app.get(
      '/api/v1/images',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: 'Stored cases, oldest first, paginated (limit/offset), optionally of one source',
          querystring: ImageListQuery,
          response: { 200: ImageList, ...errorResponses(400, 401, 403) },
        },
      },
      async (request) => {
        const { limit = 50, offset = 0, source } = request.query;
        const [images, total] = await Promise.all([deps.db.reads.images.list({ source, limit, offset }), deps.db.reads.images.count({ source })]);
        await deps.audit.record(request, 'image.list', null, { limit, offset, source: source ?? null, returned: images.length });
        return {
          images: images.map(toImageSummary),
          total,
          limit,
          offset,
        };
      },
    );

    app.get(
      '/api/v1/images/:id',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: 'One stored image and its labels',
          params: ImageIdParams,
          response: { 200: ImageRecord, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const image = await findImage(request.params.id);
        const addedBy = await deps.db.images.addedBy(image.id);
        await deps.audit.record(request, 'case.view', { type: 'image', id: image.id });
        return {
          id: image.id,
          sha256: image.sha256,
          width: image.width,
          height: image.height,
          format: image.format,
          eye: image.eye,
          grade: image.grade,
          patientRef: image.patientRef,
          source: image.source,
          createdAt: image.createdAt.toISOString(),
          metadata: image.metadata,
          provenance: {
            jobId: addedBy?.jobId ?? null,
            fileName: addedBy?.fileName ?? (typeof image.metadata.fileName === 'string' ? image.metadata.fileName : null),
            ingestedAt: image.createdAt.toISOString(),
          },
          thumbnailUrl: thumbnailUrl(image.id),
          originalUrl: originalUrl(image.id),
        };
      },
    );

    app.get(
      '/api/v1/images/:id/same-patient',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: "The other images of the case's patient: the other eye first",
          params: ImageIdParams,
          response: { 200: SamePatientImages, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request) => {
        const image = await findImage(request.params.id);
        const others = await deps.db.images.samePatient(image.id, 20);
        await deps.audit.record(request, 'case.same_patient', { type: 'image', id: image.id }, { returned: others.length });
        return { images: others.map(toImageSummary) };
      },
    );

    app.get(
      '/api/v1/images/:id/thumbnail',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: 'JPEG thumbnail (at most 256 px); ETag, 304 Not Modified on a matching If-None-Match',
          params: ImageIdParams,
          response: { 200: ImageBytes, 304: NotModified, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const image = await findImage(request.params.id);
        await deps.audit.record(request, 'image.thumbnail', { type: 'image', id: image.id });
        // Content-addressed (the thumbnail of these exact bytes never changes): a browser that has it revalidates
        // with If-None-Match and gets 304 without the file being read.
        const etag = `"${image.sha256}-thumb"`;
        reply.header('cache-control', 'private, max-age=86400').header('etag', etag);
        if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return reply.type('image/jpeg').send(await deps.files.read(image.thumbnailPath));
      },
    );

    app.get(
      '/api/v1/images/:id/original',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: 'The original file as uploaded; ETag (its SHA-256), 304 Not Modified on a matching If-None-Match',
          params: ImageIdParams,
          response: { 200: ImageBytes, 304: NotModified, ...errorResponses(400, 401, 403, 404) },
        },
      },
      async (request, reply) => {
        const image = await findImage(request.params.id);
        await deps.audit.record(request, 'image.original', { type: 'image', id: image.id });
        const etag = `"${image.sha256}"`; // the SHA-256 of these very bytes
        reply.header('cache-control', 'private, max-age=86400').header('etag', etag);
        if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return reply.type(CONTENT_TYPES[image.format] ?? 'application/octet-stream').send(await deps.files.read(image.originalPath));
      },
    );

    app.get(
      '/api/v1/images/:id/similar',
      {
        // A k-NN query like any search: the same per-caller rate limit.
        config: { access: 'clinician', rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } },
        schema: {
          tags: ['search'],
          summary: 'The cases most similar to a stored image (itself excluded), optionally filtered like a search',
          params: ImageIdParams,
          querystring: SimilarQuery,
          response: { 200: SearchResponse, ...errorResponses(400, 401, 403, 404, 409, 429, 503) },
        },
      },
      async (request) => {
        const filters = pickSearchFilters(request.query);
        const { model, results, suggestion, matching, shortfall, queryVector } = await deps.search.similarTo(
          request.params.id,
          request.query.k ?? 10,
          filters,
          {
            excludeSamePatient: request.query.excludeSamePatient ?? false,
          },
        );
        await deps.audit.record(
          request,
          'search.similar',
          { type: 'image', id: request.params.id },
          { modelVersionId: model.id, k: request.query.k ?? 10, filters, results: results.length },
        );
        const historyId = await deps.history.recordCase(request.principal!, request.params.id, {
          k: request.query.k ?? 10,
          filters,
          modelVersionId: model.id,
          results,
        });
        return { model: toModelVersionDto(model), results, suggestion, matching, shortfall, queryVector, historyId };
      },
    );

    app.get(
      '/api/v1/images/:id/embedding',
      {
        config: { access: 'clinician' },
        schema: {
          tags: ['images'],
          summary: "The image's embedding under the active model version",
          params: ImageIdParams,
          response: { 200: EmbeddingResponse, ...errorResponses(400, 401, 403, 404, 409, 503) },
        },
      },
      async (request) => {
        const { model, vector } = await deps.search.embeddingOf(request.params.id);
        await deps.audit.record(request, 'image.embedding', { type: 'image', id: request.params.id }, { modelVersionId: model.id });
        return { imageId: request.params.id, model: toModelVersionDto(model), vector };
      },
    );
  };

/** 304: the copy the client named in If-None-Match is current; no body. */
const NotModified = Type.Null({ description: 'Not Modified: the ETag sent in If-None-Match is current' });

/** If-None-Match (a list of ETags, or *) names this one: the client's copy is current. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
