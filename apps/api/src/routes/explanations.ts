import { UnsupportedMediaError, type AuditTrail, type ExplanationService, type SearchAdmission, type SearchService } from '@cbmir/core';
import { routes } from '@cbmir/contract';
import { contentHash, readImageHeader } from '@cbmir/imaging';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import type { FastifyRequest } from 'fastify';
import { readImageField } from './image-field.ts';
import { routeOptions } from './route-options.ts';

const EXPLANATION_DESCRIPTION =
  'Occlusion sensitivity: the preprocessed image (the network input) is divided into a 7 x 7 grid; each cell in turn is ' +
  "filled with the preprocessed background (zero local contrast) and the L2 distance from the occluded image's " +
  "embedding to the other image's is measured with the serving engine (50 images embedded in batches). " +
  '`deltas[row][col]` is that distance minus the unoccluded one: positive where the cell holds what the two images share. ' +
  'Maps are cached in memory per (model version, image SHA-256, other image); `cached` and the x-cbmir-cache header say whether this one was.';

export const explanationRoutes =
  (deps: {
    explanations: ExplanationService;
    search: SearchService;
    admission: SearchAdmission;
    audit: AuditTrail;
    searchRateLimit: number;
  }): FastifyPluginAsyncTypebox =>
  async (app) => {
    /**
     * The upload as an image (a DICOM file unwrapped, as search does), charged to the caller's megapixel budget
     * from its header before any pixel is decoded, as a search is.
     */
    async function admitUpload(request: FastifyRequest): Promise<Uint8Array> {
      const { bytes } = await deps.search.readQuery(await readImageField(request));
      const header = await readImageHeader(bytes);
      deps.admission.charge(request.principal!.id, (header.width * header.height) / 1e6);
      return bytes;
    }

    // Each map costs about 50 forward passes: the search rate limit applies.
    const limited = { rateLimit: { max: deps.searchRateLimit, timeWindow: '1 minute' } };

    app.route({
      ...routeOptions(
        routes.explainUpload,
        {
          tags: ['search'],
          summary: 'Why a result is similar to an uploaded photograph: an occlusion map of the pair',
          description: `multipart/form-data with the query photograph in the field \`image\` (as for search); \`case\` names the result. ${EXPLANATION_DESCRIPTION} A case that no longer exists: 404 case_not_found.`,
        },
        limited,
      ),
      handler: async (request, reply) => {
        if (!request.isMultipart())
          throw new UnsupportedMediaError('not_multipart', 'send the query photograph as multipart/form-data in a field named "image"');
        const bytes = await admitUpload(request);
        const occlude = request.query.occlude ?? 'query';
        // In the bounded queue of image searches: 50 images embedded is a search's work many times over.
        const explanation = await deps.admission.run(() => deps.explanations.explainUpload(bytes, request.query.case, occlude));
        reply.header('x-cbmir-cache', explanation.cached ? 'hit' : 'miss');
        await deps.audit.record(
          request,
          'search.explanation',
          { type: 'image', id: request.query.case },
          {
            modelVersionId: explanation.modelVersionId,
            queryImageSha256: contentHash(bytes),
            occlude,
            cached: explanation.cached,
          },
        );
        return explanation;
      },
    });

    app.route({
      ...routeOptions(
        routes.explainStored,
        {
          tags: ['search'],
          summary: 'Why two stored cases are similar: an occlusion map of the image :id against the case `against`',
          description: `${EXPLANATION_DESCRIPTION} Either case missing: 404 case_not_found.`,
        },
        limited,
      ),
      handler: async (request, reply) => {
        const explanation = await deps.admission.run(() => deps.explanations.explainStored(request.params.id, request.query.against));
        reply.header('x-cbmir-cache', explanation.cached ? 'hit' : 'miss');
        await deps.audit.record(
          request,
          'search.explanation',
          { type: 'image', id: request.params.id },
          {
            modelVersionId: explanation.modelVersionId,
            against: request.query.against,
            cached: explanation.cached,
          },
        );
        return explanation;
      },
    });

    app.route({
      ...routeOptions(
        routes.preprocess,
        {
          tags: ['search'],
          summary: "The network's view of a photograph: its preprocessed input under the active model, as PNG",
          description: 'multipart/form-data with the photograph in the field `image` (as for search).',
        },
        limited,
      ),
      handler: async (request, reply) => {
        if (!request.isMultipart()) throw new UnsupportedMediaError('not_multipart', 'send the photograph as multipart/form-data in a field named "image"');
        const bytes = await admitUpload(request);
        const png = await deps.admission.run(() => deps.explanations.preprocessedUpload(bytes));
        await deps.audit.record(request, 'search.preprocess', null, { queryImageSha256: contentHash(bytes) });
        return reply.type('image/png').header('cache-control', 'private, no-store').send(png);
      },
    });

    app.route({
      ...routeOptions(routes.preprocessed, {
        tags: ['images'],
        summary: "The network's view of a stored image: its preprocessed input under the active model, as PNG",
      }),
      handler: async (request, reply) => {
        const png = await deps.explanations.preprocessedStored(request.params.id);
        await deps.audit.record(request, 'image.preprocessed', { type: 'image', id: request.params.id });
        return reply.type('image/png').header('cache-control', 'private, max-age=3600').send(png);
      },
    });
  };
