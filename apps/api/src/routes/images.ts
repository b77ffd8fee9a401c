import {
  type FileStore,
  type AuditTrail,
  type ImageCatalog,
  type ImageOrigin,
  type SearchHistory,
  originalUrl,
  thumbnailUrl,
  type SearchService,
} from '@cbmir/core';
import { type ImageRecord, type ImageSummary, pickSearchFilters, routes } from '@cbmir/contract';
import type { StoredImage } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { toModelVersionDto, toSearchAnswer } from './dto.ts';
import { routeOptions } from './route-options.ts';

const CONTENT_TYPES: Record<string, string> = { jpeg: 'image/jpeg', png: 'image/png', tiff: 'image/tiff', webp: 'image/webp' };

/** The REST form of a case in a list (contract ImageSummary). */
const toImageSummary = (image: StoredImage): ImageSummary => ({
  id: image.id,
  grade: image.grade,
  eye: image.eye,
  source: image.source,
  createdAt: image.createdAt.toISOString(),
  thumbnailUrl: thumbnailUrl(image.id),
});

/** The REST form of a stored case (contract ImageRecord): `addedBy` is the ingest job and file it came from, if any. */
function toImageRecord(image: StoredImage, addedBy: ImageOrigin | null): ImageRecord {
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
}

export const imageRoutes =
  (deps: {
    images: ImageCatalog;
    files: FileStore;
    search: SearchService;
    audit: AuditTrail;
    searchRateLimit: number;
    history: SearchHistory;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.images, { tags: ['images'], summary: 'Stored cases, oldest first, paginated (limit/offset), optionally of one source' }),
      handler: async (request) => {
        const { limit = 50, offset = 0, source } = request.query;
        const { images, total } = await deps.images.page({ source, limit, offset });
        await deps.audit.record(request, 'image.list', null, { limit, offset, source: source ?? null, returned: images.length });
        return {
          images: images.map(toImageSummary),
          total,
          limit,
          offset,
        };
      },
    });

    app.route({
      ...routeOptions(routes.image, { tags: ['images'], summary: 'One stored image and its labels' }),
      handler: async (request) => {
        const image = await deps.images.get(request.params.id);
        const addedBy = await deps.images.origin(image.id);
        await deps.audit.record(request, 'case.view', { type: 'image', id: image.id });
        return toImageRecord(image, addedBy);
      },
    });

    app.route({
      ...routeOptions(routes.samePatient, { tags: ['images'], summary: "The other images of the case's patient: the other eye first" }),
      handler: async (request) => {
        const image = await deps.images.get(request.params.id);
        const others = await deps.images.samePatient(image.id, 20);
        await deps.audit.record(request, 'case.same_patient', { type: 'image', id: image.id }, { returned: others.length });
        return { images: others.map(toImageSummary) };
      },
    });

    app.route({
      ...routeOptions(routes.thumbnail, {
        tags: ['images'],
        summary: 'JPEG thumbnail (at most 256 px); ETag, 304 Not Modified on a matching If-None-Match',
      }),
      handler: async (request, reply) => {
        const image = await deps.images.get(request.params.id);
        await deps.audit.record(request, 'image.thumbnail', { type: 'image', id: image.id });
        // Content-addressed (the thumbnail of these exact bytes never changes): a browser that has it revalidates
        // with If-None-Match and gets 304 without the file being read.
        const etag = `"${image.sha256}-thumb"`;
        reply.header('cache-control', 'private, max-age=86400').header('etag', etag);
        if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return reply.type('image/jpeg').send(await deps.files.read(image.thumbnailPath));
      },
    });

    app.route({
      ...routeOptions(routes.original, {
        tags: ['images'],
        summary: 'The original file as uploaded; ETag (its SHA-256), 304 Not Modified on a matching If-None-Match',
      }),
      handler: async (request, reply) => {
        const image = await deps.images.get(request.params.id);
        await deps.audit.record(request, 'image.original', { type: 'image', id: image.id });
        const etag = `"${image.sha256}"`; // the SHA-256 of these very bytes
        reply.header('cache-control', 'private, max-age=86400').header('etag', etag);
        if (notModified(request.headers['if-none-match'], etag)) return reply.code(304).send(null);
        return reply.type(CONTENT_TYPES[image.format] ?? 'application/octet-stream').send(await deps.files.read(image.originalPath));
      },
    });

    app.route({
      ...routeOptions(
        routes.similar,
        { tags: ['search'], summary: 'The cases most similar to a stored image (itself excluded), optionally filtered like a search' },
        // A k-NN query like any search: the same per-caller rate limit.
        { rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } },
      ),
      handler: async (request) => {
        const filters = pickSearchFilters(request.query);
        const found = await deps.search.similarTo(request.params.id, request.query.k ?? 10, filters, {
          excludeSamePatient: request.query.excludeSamePatient ?? false,
        });
        const { model, results } = found;
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
        return { ...toSearchAnswer(found), queryVector: found.queryVector, historyId };
      },
    });

    app.route({
      ...routeOptions(routes.embedding, { tags: ['images'], summary: "The image's embedding under the active model version" }),
      handler: async (request) => {
        const { model, vector } = await deps.search.embeddingOf(request.params.id);
        await deps.audit.record(request, 'image.embedding', { type: 'image', id: request.params.id }, { modelVersionId: model.id });
        return { imageId: request.params.id, model: toModelVersionDto(model), vector };
      },
    });
  };

/** If-None-Match (a list of ETags, or *) names this one: the client's copy is current. */
function notModified(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  return ifNoneMatch.split(',').some((tag) => {
    const t = tag.trim();
    return t === '*' || t === etag || t === `W/${etag}`;
  });
}
