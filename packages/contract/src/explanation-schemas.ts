import { Type, type Static } from 'typebox';

/** Which image of the pair is occluded: the uploaded query (measured against the case), or the case (against the query). */
export const OccludedSide = Type.Union([Type.Literal('query'), Type.Literal('case')], {
  description: 'query: occlude the uploaded photograph, distances to the case; case: occlude the case, distances to the query',
});
export type OccludedSide = Static<typeof OccludedSide>;

/** POST /api/v1/explanations?case=<id>&occlude=query|case, with the query photograph as multipart `image`. */
export const ExplanationQuery = Type.Object({
  case: Type.String({ format: 'uuid', description: 'The result (stored case) to explain the similarity to' }),
  occlude: Type.Optional(OccludedSide),
});
export type ExplanationQuery = Static<typeof ExplanationQuery>;

/** GET /api/v1/images/:id/explanation?against=<id>: occlude the stored image :id, distances to the case `against`. */
export const StoredExplanationQuery = Type.Object({
  against: Type.String({ format: 'uuid', description: 'The other stored case; distances are measured to its stored embedding' }),
});
export type StoredExplanationQuery = Static<typeof StoredExplanationQuery>;

export const Explanation = Type.Object(
  {
    modelVersionId: Type.String(),
    modelName: Type.String(),
    occluded: Type.Object({
      side: OccludedSide,
      imageId: Type.Union([Type.String(), Type.Null()], { description: 'null for an uploaded photograph' }),
      sha256: Type.String({ description: 'SHA-256 of the occluded image (for an upload: of its bytes)' }),
    }),
    reference: Type.Object({
      side: OccludedSide,
      imageId: Type.Union([Type.String(), Type.Null()]),
    }),
    grid: Type.Object({
      rows: Type.Integer(),
      cols: Type.Integer(),
      inputSize: Type.Integer({ description: 'Side of the preprocessed network input the grid divides' }),
      fill: Type.String({ description: 'What an occluded cell is filled with' }),
    }),
    baseDistance: Type.Number({ description: 'L2 distance between the two embeddings, nothing occluded' }),
    deltas: Type.Array(Type.Array(Type.Number()), {
      description: '[row][col]: distance with that cell occluded minus baseDistance; positive where the cell holds what the two share',
    }),
    region: Type.Object(
      { left: Type.Number(), top: Type.Number(), width: Type.Number(), height: Type.Number() },
      {
        description:
          'The square of the upright original the network input was cut from, as fractions of its width and height (to draw the grid on the original)',
      },
    ),
    forwardPasses: Type.Integer({ description: 'Images embedded: one per cell plus the unoccluded one' }),
    computeMs: Type.Number({ description: 'Time the map took to compute (when it was computed, for a cached one)' }),
    cached: Type.Boolean({ description: 'True when served from the cache (also the x-cbmir-cache header: hit or miss)' }),
  },
  { $id: 'Explanation' },
);
export type Explanation = Static<typeof Explanation>;
