import { ConflictError, InvalidInputError, notFound, NotFoundError, UnavailableError } from '../errors/domain-error.ts';
import { parseSearchFilters, ROCCHIO_WEIGHTS, SearchFilterError, type GradeSuggestion, type SearchFilters, type SearchShortfall } from '@cbmir/contract';
import type { Database, FilteredNeighbours, ImageFilter, Neighbour, StoredModelVersion } from '@cbmir/db';
import { cropToRegion, patientRefOf, readImageHeader, RegionError, regionPixels, unwrapDicom, type ImageHeader, type ImageRegion } from '@cbmir/imaging';
import { knnVoteTally, rocchio, VOTE_K } from '@cbmir/retrieval';
import type { EmbedTiming, ModelRuntime } from '../models/model-runtime.ts';

export interface SearchHit {
  imageId: string;
  distance: number;
  grade: number | null;
  eye: 'left' | 'right' | null;
  thumbnailUrl: string;
}

/** The request's filters as the repository's; contradictory or unknown values are the caller's 400. */
export function toImageFilter(filters: SearchFilters): ImageFilter {
  try {
    return parseSearchFilters(filters);
  } catch (error) {
    if (error instanceof SearchFilterError) throw new InvalidInputError('invalid_filter', error.message);
    throw error;
  }
}

/** A query vector of the wrong length for the active model is the caller's 400. */
function assertDimension(vector: number[], version: StoredModelVersion): void {
  if (vector.length !== version.embeddingDim) {
    throw new InvalidInputError('wrong_dimension', `vector has ${vector.length} dimensions, the active model (${version.name}) uses ${version.embeddingDim}`);
  }
}

/** Why fewer than k cases came back, in words the page can show; null when k did. */
export function shortfallOf(found: FilteredNeighbours, k: number): SearchShortfall | null {
  const n = found.neighbours.length;
  if (n >= k) return null;
  if (found.matching === 0) return { code: 'no_match', message: 'No indexed case passes these filters. Widen or clear them to see similar cases.' };
  if (found.matching !== null) return { code: 'fewer_match', message: `Only ${n} indexed ${n === 1 ? 'case passes' : 'cases pass'} these filters.` };
  if (n === 0) return { code: 'empty_index', message: 'No case is indexed under the active model yet. Ingest or import images first.' };
  return { code: 'fewer_match', message: `Only ${n} ${n === 1 ? 'case is' : 'cases are'} indexed under the active model.` };
}

/**
 * The distance-weighted vote of the nearest graded results (ungraded ones do not vote): the 10-NN vote the
 * evaluation measures, so its measured accuracy applies. Null when no result is graded.
 */
export function gradeSuggestion(results: SearchHit[]): GradeSuggestion | null {
  const graded = results.filter((hit) => hit.grade !== null).slice(0, VOTE_K);
  const tally = knnVoteTally(
    graded.map((hit) => hit.grade!),
    graded.map((hit) => hit.distance),
  );
  if (tally.grade === null) return null;
  const spread = tally.votes
    .map((vote) => ({ grade: vote.grade, share: vote.weight / tally.total, neighbours: vote.neighbours }))
    .sort((a, b) => b.share - a.share);
  return {
    grade: tally.grade,
    share: spread.find((vote) => vote.grade === tally.grade)!.share,
    spread,
    voters: graded.length,
    ungraded: results.filter((hit) => hit.grade === null).length,
  };
}

/**
 * Checks a region to search (refine by region): the fractions alone, or with the photograph's header also its size
 * in pixels. A bad one is the caller's 400 `invalid_region`.
 */
export function checkRegion(region: ImageRegion, header?: ImageHeader): void {
  try {
    regionPixels(region, header?.width ?? Number.MAX_SAFE_INTEGER, header?.height ?? Number.MAX_SAFE_INTEGER);
  } catch (error) {
    throw asInvalidRegion(error);
  }
}

/** The photograph cropped to the region, to be searched as a whole photograph would be (see cropToRegion). */
export async function cropQuery(bytes: Uint8Array, region: ImageRegion): Promise<Uint8Array> {
  try {
    return (await cropToRegion(bytes, region)).bytes;
  } catch (error) {
    throw asInvalidRegion(error);
  }
}

/** A RegionError is the caller's 400 `invalid_region`; anything else stays what it was. */
function asInvalidRegion(error: unknown): unknown {
  return error instanceof RegionError ? new InvalidInputError('invalid_region', error.message) : error;
}

/** What a DICOM query says about itself (an ordinary photograph says nothing). */
export interface QueryInfo {
  eye: 'left' | 'right' | null;
  patientRef: string | null;
}

export const thumbnailUrl = (imageId: string) => `/api/v1/images/${imageId}/thumbnail`;
export const originalUrl = (imageId: string) => `/api/v1/images/${imageId}/original`;

/** Query image or vector -> active model's embedding space -> L2 nearest neighbours -> ranked cases. */
export function searchServiceFactory(deps: { db: Database; runtime: ModelRuntime; patientSalt?: string }) {
  const { db, runtime } = deps;

  function activeVersion(): StoredModelVersion {
    const version = runtime.version;
    if (!version) throw new UnavailableError('model_not_ready', 'the embedding model is not loaded yet');
    return version;
  }

  /** The neighbours, in the order the index gave them, as hits with their cases' grade and eye (a case deleted meanwhile is left out). */
  async function hitsOf(neighbours: Neighbour[]): Promise<SearchHit[]> {
    const images = await db.reads.images.findByIds(neighbours.map((n) => n.imageId));
    return neighbours.flatMap((n) => {
      const image = images.get(n.imageId);
      if (!image) return [];
      return [{ imageId: n.imageId, distance: n.distance, grade: image.grade, eye: image.eye, thumbnailUrl: thumbnailUrl(n.imageId) }];
    });
  }

  /** k-NN under the filter, nearest first, with how many cases pass the filter and why fewer than k came back. */
  async function knn(version: StoredModelVersion, vector: ArrayLike<number>, k: number, filter: ImageFilter) {
    // Search reads a replica where DATABASE_READ_URL names one: a case ingested a moment ago may join a second later.
    const found = await db.reads.embeddings.search(version, vector, k, { filter });
    const results = await hitsOf(found.neighbours);
    return { results, suggestion: gradeSuggestion(results), matching: found.matching, matchingCapped: found.matchingCapped, shortfall: shortfallOf(found, k) };
  }

  return {
    activeVersion,

    /**
     * The uploaded query as an image to search with; a DICOM photograph is unwrapped (its header is not kept)
     * and tells its eye and patient reference, so the page can offer to leave that patient out.
     */
    async readQuery(upload: Uint8Array): Promise<{ bytes: Uint8Array; query: QueryInfo | null }> {
      const { bytes, dicom } = await unwrapDicom(upload);
      if (!dicom) return { bytes, query: null };
      const patientRef = dicom.patientId && deps.patientSalt ? patientRefOf(dicom.patientId, deps.patientSalt) : null;
      return { bytes, query: { eye: dicom.eye, patientRef } };
    },

    /** `timings` (milliseconds: decode, preprocess, embed, knn) says where the request's time went. */
    async searchByImage(bytes: Uint8Array, k: number, filters: SearchFilters = {}) {
      const filter = toImageFilter(filters); // bad filters are refused before any image work
      const started = performance.now();
      // The header refuses what is not an image, a pixel bomb or a too-small picture (ImageValidationError
      // -> 4xx) before any model work. Truncated or corrupt data is then refused by preprocessing's decode,
      // which reads every byte (at reduced size, as ingest's one decode does).
      await readImageHeader(bytes);
      const decoded = performance.now();
      await runtime.syncActive();
      const model = runtime.active;
      if (!model) throw new UnavailableError('model_not_ready', 'the embedding model is not loaded yet');
      const timing: EmbedTiming = { preprocessMs: 0, embedMs: 0 };
      const [vector] = await runtime.embedImages([bytes], model, timing);
      const embedded = performance.now();
      const found = await knn(model.version, vector!, k, filter);
      const timings = { decode: decoded - started, preprocess: timing.preprocessMs, embed: timing.embedMs, knn: performance.now() - embedded };
      return { model: model.version, ...found, timings, batchSize: timing.batchSize ?? 1, queryVector: Array.from(vector!) };
    },

    async searchByVector(vector: number[], k: number, filters: SearchFilters = {}) {
      const filter = toImageFilter(filters);
      await runtime.syncActive();
      const version = activeVersion();
      assertDimension(vector, version);
      const bad = vector.findIndex((value) => !Number.isFinite(value));
      if (bad >= 0) throw new InvalidInputError('invalid_vector', `vector element ${bad} is not a finite number`);
      return { model: version, ...(await knn(version, vector, k, filter)) };
    },

    async embeddingOf(imageId: string) {
      const version = activeVersion();
      if (!(await db.images.findById(imageId))) throw notFound('image');
      const vector = await db.embeddings.find(version, imageId);
      if (!vector) throw new ConflictError('not_embedded', 'this image has no embedding under the active model yet; it is being indexed');
      return { model: version, vector };
    },

    /** `excludeSamePatient`: leave out the case's own patient too (its other eye, other visits). */
    async similarTo(imageId: string, k: number, filters: SearchFilters = {}, options: { excludeSamePatient?: boolean } = {}) {
      const filter: ImageFilter = { ...toImageFilter(filters), excludeImageId: imageId };
      const { model, vector } = await this.embeddingOf(imageId);
      if (options.excludeSamePatient) {
        const patientRef = (await db.images.findById(imageId))?.patientRef;
        if (patientRef) {
          if (filter.excludePatientRef !== undefined && filter.excludePatientRef !== patientRef) {
            throw new InvalidInputError('invalid_filter', 'excludePatient and excludeSamePatient name two different patients; use one of them');
          }
          filter.excludePatientRef = patientRef;
        }
      }
      return { model, ...(await knn(model, vector, k, filter)), queryVector: Array.from(vector) };
    },

    /**
     * Refine by example (Rocchio): the query's embedding moved toward the mean of the liked cases' stored embeddings
     * and away from the disliked ones' (weights ROCCHIO_WEIGHTS), then searched under the filters like a vector.
     */
    async refine(vector: number[], liked: string[], disliked: string[], k: number, filters: SearchFilters = {}) {
      if (liked.length === 0 && disliked.length === 0)
        throw new InvalidInputError('no_feedback', 'mark at least one case as more like this (liked) or less like this (disliked)');
      const both = liked.find((id) => disliked.includes(id));
      if (both) throw new InvalidInputError('contradictory_feedback', `case ${both} is marked both more like this and less like this`);
      await runtime.syncActive();
      const version = activeVersion();
      assertDimension(vector, version);
      const vectors = await db.embeddings.findMany(version, [...liked, ...disliked]);
      const missing = [...liked, ...disliked].find((id) => !vectors.has(id));
      if (missing) {
        if (!(await db.images.findById(missing)))
          throw new NotFoundError('not_found', `case ${missing} not found: it may have been removed; start the refinement again`);
        throw new ConflictError('not_embedded', `case ${missing} has no embedding under the active model yet; it is being indexed`);
      }
      const refined = rocchio(
        vector,
        liked.map((id) => vectors.get(id)!),
        disliked.map((id) => vectors.get(id)!),
        ROCCHIO_WEIGHTS,
      );
      return { ...(await this.searchByVector(refined, k, filters)), queryVector: refined };
    },
  };
}

export type SearchService = ReturnType<typeof searchServiceFactory>;
