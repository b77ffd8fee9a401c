import type { Database, Neighbour, StoredModelVersion } from '@cbmir/db';
import { decodeImage } from '@cbmir/imaging';
import { AppError, notFound } from '../errors.ts';
import type { EmbedTiming, ModelRuntime } from './model-runtime.ts';

export interface SearchHit {
  imageId: string;
  distance: number;
  grade: number | null;
  eye: 'left' | 'right' | null;
  thumbnailUrl: string;
}

export const thumbnailUrl = (imageId: string) => `/api/v1/images/${imageId}/thumbnail`;
export const originalUrl = (imageId: string) => `/api/v1/images/${imageId}/original`;

/** Query image or vector -> active model's embedding space -> L2 nearest neighbours -> ranked cases. */
export function searchServiceFactory(deps: { db: Database; runtime: ModelRuntime }) {
  const { db, runtime } = deps;

  function activeVersion(): StoredModelVersion {
    const version = runtime.version;
    if (!version) throw new AppError(503, 'model_not_ready', 'the embedding model is not loaded yet');
    return version;
  }

  async function rank(neighbours: Neighbour[]): Promise<SearchHit[]> {
    const images = await db.images.findByIds(neighbours.map((n) => n.imageId));
    return neighbours.flatMap((n) => {
      const image = images.get(n.imageId);
      if (!image) return [];
      return [{ imageId: n.imageId, distance: n.distance, grade: image.grade, eye: image.eye, thumbnailUrl: thumbnailUrl(n.imageId) }];
    });
  }

  return {
    activeVersion,

    /** `timings` (milliseconds: decode, preprocess, embed, knn) says where the request's time went. */
    async searchByImage(bytes: Uint8Array, k: number) {
      const started = performance.now();
      await decodeImage(bytes); // throws ImageValidationError (-> 4xx) before any model work
      const decoded = performance.now();
      await runtime.syncActive();
      const model = runtime.active;
      if (!model) throw new AppError(503, 'model_not_ready', 'the embedding model is not loaded yet');
      const timing: EmbedTiming = { preprocessMs: 0, embedMs: 0 };
      const [vector] = await runtime.embedImages([bytes], model, timing);
      const embedded = performance.now();
      const results = await rank(await db.embeddings.nearest(model.version, vector!, k));
      const timings = { decode: decoded - started, preprocess: timing.preprocessMs, embed: timing.embedMs, knn: performance.now() - embedded };
      return { model: model.version, results, timings, batchSize: timing.batchSize ?? 1 };
    },

    async searchByVector(vector: number[], k: number) {
      await runtime.syncActive();
      const version = activeVersion();
      if (vector.length !== version.embeddingDim) {
        throw new AppError(400, 'wrong_dimension', `vector has ${vector.length} dimensions, the active model (${version.name}) uses ${version.embeddingDim}`);
      }
      const bad = vector.findIndex((value) => !Number.isFinite(value));
      if (bad >= 0) throw new AppError(400, 'invalid_vector', `vector element ${bad} is not a finite number`);
      return { model: version, results: await rank(await db.embeddings.nearest(version, vector, k)) };
    },

    async embeddingOf(imageId: string) {
      const version = activeVersion();
      if (!(await db.images.findById(imageId))) throw notFound('image');
      const vector = await db.embeddings.find(version, imageId);
      if (!vector) throw new AppError(409, 'not_embedded', 'this image has no embedding under the active model yet; it is being indexed');
      return { model: version, vector };
    },

    async similarTo(imageId: string, k: number) {
      const { model, vector } = await this.embeddingOf(imageId);
      return { model, results: await rank(await db.embeddings.nearest(model, vector, k, { excludeImageId: imageId })) };
    },
  };
}

export type SearchService = ReturnType<typeof searchServiceFactory>;
