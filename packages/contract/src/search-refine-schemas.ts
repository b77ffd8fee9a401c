import { Type, type Static } from 'typebox';
import { SearchFilters } from './search-filters.ts';

/**
 * Refine by region: a rectangle on the query photograph, in fractions of its upright width and height, as query
 * parameters of POST /search (all four or none). The server crops the photograph to it and searches the crop as it
 * would a whole photograph (decoded, preprocessed, embedded).
 */
export const SearchRegionFields = {
  regionX: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'Refine by region: left edge of the rectangle searched, as a fraction of the width (0..1)' }),
  ),
  regionY: Type.Optional(Type.Number({ minimum: 0, maximum: 1, description: 'Refine by region: top edge, as a fraction of the height (0..1)' })),
  regionWidth: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'Refine by region: width, as a fraction of the width (above 0; regionX + regionWidth <= 1)' }),
  ),
  regionHeight: Type.Optional(
    Type.Number({ minimum: 0, maximum: 1, description: 'Refine by region: height, as a fraction of the height (above 0; regionY + regionHeight <= 1)' }),
  ),
};

export const SearchRegion = Type.Object(
  {
    x: Type.Number({ minimum: 0, maximum: 1 }),
    y: Type.Number({ minimum: 0, maximum: 1 }),
    width: Type.Number({ minimum: 0, maximum: 1 }),
    height: Type.Number({ minimum: 0, maximum: 1 }),
  },
  { description: 'A rectangle of the query photograph in fractions of its upright size (x, y: top-left corner)' },
);
export type SearchRegion = Static<typeof SearchRegion>;

/** The region of a query object's four fields; null when none is given. */
export function regionOfQuery(query: { regionX?: number; regionY?: number; regionWidth?: number; regionHeight?: number }): SearchRegion | 'partial' | null {
  const values = [query.regionX, query.regionY, query.regionWidth, query.regionHeight];
  if (values.every((value) => value === undefined)) return null;
  if (values.some((value) => value === undefined)) return 'partial';
  return { x: query.regionX!, y: query.regionY!, width: query.regionWidth!, height: query.regionHeight! };
}

/**
 * The weights of refine by example (Rocchio: a*q + b*mean(liked) - c*mean(disliked), divided by a + b - c): the classic
 * ones of the SMART experiments. A liked case pulls harder than a disliked one pushes, because "not like this" says less
 * about what is wanted than "like this".
 */
export const ROCCHIO_WEIGHTS = Object.freeze({ query: 1, liked: 0.75, disliked: 0.15 });

const CaseIds = (description: string) => Type.Array(Type.String({ format: 'uuid' }), { maxItems: 100, uniqueItems: true, default: [], description });

/** Refine by example: the query's embedding (as a search returned it) and the cases marked more / less like this. */
export const RefineSearchBody = Type.Object(
  {
    // Embeddings are stored as float4: entries are bounded well inside its range (as for /search/vector).
    vector: Type.Array(Type.Number({ minimum: -1e15, maximum: 1e15 }), {
      minItems: 1,
      maxItems: 4096,
      description: "The query's embedding: `queryVector` of the search being refined (the original query's, not a refined one: every step starts from it)",
    }),
    liked: CaseIds('Cases marked "more like this" (all of them so far)'),
    disliked: CaseIds('Cases marked "less like this" (all of them so far)'),
    k: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 10 })),
    filters: Type.Optional(SearchFilters),
  },
  { additionalProperties: false },
);
export type RefineSearchBody = Static<typeof RefineSearchBody>;

// ---- my searches ---------------------------------------------------------------------------------------

export const SearchHistoryQuery = Type.Object(
  {
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 100, default: 20 })),
    offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 2147483647, default: 0 })),
  },
  { additionalProperties: false },
);
export type SearchHistoryQuery = Static<typeof SearchHistoryQuery>;

export const SearchHistoryEntry = Type.Object({
  id: Type.String({ format: 'uuid' }),
  kind: Type.Union([Type.Literal('image'), Type.Literal('case')], {
    description: 'image: an uploaded photograph; case: a stored case searched with ("search with this case")',
  }),
  createdAt: Type.String({ format: 'date-time' }),
  k: Type.Integer(),
  filters: SearchFilters,
  region: Type.Union([SearchRegion, Type.Null()], { description: 'The region searched; null: the whole photograph' }),
  results: Type.Integer({ description: 'Cases that came back' }),
  top: Type.Union(
    [
      Type.Object({ imageId: Type.String(), distance: Type.Number(), grade: Type.Union([Type.Integer(), Type.Null()]), thumbnailUrl: Type.String() }),
      Type.Null(),
    ],
    { description: 'The nearest case found then' },
  ),
  queryImageId: Type.Union([Type.String(), Type.Null()], { description: 'kind case: the stored case searched with' }),
  queryThumbnailUrl: Type.String({ description: 'A thumbnail of the query photograph (of the whole photograph when a region was searched)' }),
  queryUrl: Type.Union([Type.String(), Type.Null()], { description: 'kind image: the query photograph itself, to search with it again' }),
});
export type SearchHistoryEntry = Static<typeof SearchHistoryEntry>;

export const SearchHistoryPage = Type.Object({
  searches: Type.Array(SearchHistoryEntry, { description: 'The caller’s own searches, newest first' }),
  total: Type.Integer(),
  limit: Type.Integer(),
  offset: Type.Integer(),
});
export type SearchHistoryPage = Static<typeof SearchHistoryPage>;

export const SearchHistoryParams = Type.Object({ id: Type.String({ format: 'uuid' }) });
