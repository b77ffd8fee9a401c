import type { EvaluationService } from '@cbmir/core';
import { routes, type Evaluation } from '@cbmir/contract';
import type { StoredEvaluation } from '@cbmir/db';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { routeOptions } from './route-options.ts';

/** The REST form of a stored evaluation (contract Evaluation); rows from before embeddings and timings were recorded report zeros. */
export function toEvaluationDto(evaluation: StoredEvaluation): Evaluation {
  const { details } = evaluation;
  return {
    id: evaluation.id,
    modelVersionId: evaluation.modelVersionId,
    layer: evaluation.layer,
    dimensions: evaluation.dimensions,
    protocol: evaluation.protocol,
    data: { name: evaluation.dataName, fingerprint: evaluation.dataFingerprint, images: evaluation.queryCount },
    gallery:
      evaluation.galleryName !== null && evaluation.galleryFingerprint !== null
        ? { name: evaluation.galleryName, fingerprint: evaluation.galleryFingerprint, images: evaluation.galleryCount }
        : null,
    metrics: evaluation.metrics,
    prCurve: evaluation.prCurve,
    map: evaluation.mapPoints,
    embeddings: details.embeddings ?? { fromDatabase: 0, fromCache: 0, computed: 0 },
    timings: details.timings ?? { readSeconds: 0, embedSeconds: 0, rankSeconds: 0, mapSeconds: 0, totalSeconds: 0 },
    createdAt: evaluation.createdAt.toISOString(),
  };
}

export const evaluationRoutes =
  (deps: { evaluations: EvaluationService }): FastifyPluginAsyncTypebox =>
  async (app) => {
    app.route({
      ...routeOptions(routes.modelEvaluations, {
        tags: ['models'],
        summary: 'Retrieval evaluations of a model version (`cbmir eval`), newest first, paginated by `before`',
        description:
          'Each evaluation: MAP, macro-MAP, MRR, precision@1/5/10, recall@10 and the 10-NN grade vote (accuracy, quadratic kappa), ' +
          'each beside its chance level, overall and per grade; precision-recall curves; and the t-SNE map points (imageId, x, y, grade) ' +
          'for an interactive map. Relevant = same DR grade; a query never matches its own patient.',
      }),
      handler: async (request) => {
        const { evaluations, nextBefore } = await deps.evaluations.pageForVersion(request.params.id, {
          limit: request.query.limit ?? 10,
          before: request.query.before,
        });
        return { evaluations: evaluations.map(toEvaluationDto), nextBefore };
      },
    });
  };
