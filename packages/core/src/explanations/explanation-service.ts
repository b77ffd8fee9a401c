import { ConflictError, notFound, NotFoundError, UnavailableError } from '../errors/domain-error.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { Explanation, OccludedSide } from '@cbmir/contract';
import type { Database, StoredImage } from '@cbmir/db';
import { contentHash, keptRegion, PREPROCESSED_BACKGROUND, preprocessedToPng, preprocessFundus, readImageHeader } from '@cbmir/imaging';
import type { LoadedModel, ModelRuntime } from '../models/model-runtime.ts';
import { occlusionMap } from './occlusion-map.ts';
import { promiseLru } from '../cache/promise-lru.ts';

/** 7 x 7 cells of 32 px on the 224 px input: 49 occluded images plus the original, 50 images embedded. */
export const OCCLUSION_GRID = 7;

/** Maps kept in memory, most recently used last (each a few hundred bytes). */
const CACHE_ENTRIES = 512;

type Computed = Omit<Explanation, 'cached'>;

/** Both sides of a pair: one image to occlude (its bytes) and the embedding to measure distances to. */
interface Pair {
  occluded: { side: OccludedSide; imageId: string | null; sha256: string; bytes: () => Promise<Uint8Array> };
  reference: { side: OccludedSide; imageId: string | null; embedding: () => Promise<ArrayLike<number>> };
}

/**
 * Similarity explanations: occlusion maps of one image of a (query, case) pair against the other's embedding,
 * computed by the serving engine through the runtime's batcher.
 *
 * Cached in memory (an LRU of CACHE_ENTRIES maps), keyed by model version, the occluded image's SHA-256 and
 * the other side, not in the database: a map is derived data that a model version fully determines and that
 * costs a second or two to recompute, so a restart or a second server losing it costs only that; keeping it
 * out of the database keeps query hashes of uploads out of another table and needs no migration. Concurrent
 * requests for the same map share one computation.
 */
export function explanationServiceFactory(deps: { db: Database; files: FileStore; runtime: ModelRuntime }) {
  const { db, files, runtime } = deps;
  const cache = promiseLru<Computed>(CACHE_ENTRIES);

  async function activeModel(): Promise<LoadedModel> {
    await runtime.syncActive();
    const model = runtime.active;
    if (!model) throw new UnavailableError('model_not_ready', 'the embedding model is not loaded yet');
    return model;
  }

  async function findCase(id: string, role: string): Promise<StoredImage> {
    const image = await db.images.findById(id);
    if (!image)
      throw new NotFoundError('case_not_found', `${role} ${id} does not exist (it may have been removed): search again and choose a case from the new results`);
    return image;
  }

  async function storedEmbedding(model: LoadedModel, image: StoredImage): Promise<number[]> {
    const vector = await db.embeddings.find(model.version, image.id);
    if (!vector)
      throw new ConflictError('not_embedded', `case ${image.id} has no embedding under the active model yet; it is being indexed, try again shortly`);
    return vector;
  }

  async function compute(model: LoadedModel, pair: Pair): Promise<Computed> {
    const started = performance.now();
    const bytes = await pair.occluded.bytes();
    const header = await readImageHeader(bytes);
    const [input, reference] = await Promise.all([preprocessFundus(bytes, model.preprocessing), pair.reference.embedding()]);
    const map = await occlusionMap({
      image: input.data,
      size: input.size,
      reference,
      grid: OCCLUSION_GRID,
      fill: PREPROCESSED_BACKGROUND,
      embed: (inputs) => runtime.embedInputs(inputs, model),
    });
    return {
      modelVersionId: model.version.id,
      modelName: model.version.name,
      occluded: { side: pair.occluded.side, imageId: pair.occluded.imageId, sha256: pair.occluded.sha256 },
      reference: { side: pair.reference.side, imageId: pair.reference.imageId },
      grid: { rows: map.rows, cols: map.cols, inputSize: input.size, fill: 'the preprocessed background (zero local contrast)' },
      baseDistance: map.baseDistance,
      deltas: map.deltas,
      region: keptRegion(input.disc, header.width, header.height, model.preprocessing),
      forwardPasses: map.forwardPasses,
      computeMs: performance.now() - started,
    };
  }

  async function explain(model: LoadedModel, pair: Pair, key: string): Promise<Explanation> {
    const cacheKey = `${model.version.id}|${pair.occluded.imageId ?? 'upload'}|${pair.occluded.sha256}|${key}`;
    const { value, hit } = cache.get(cacheKey, () => compute(model, pair));
    return { ...(await value), cached: hit };
  }

  return {
    /**
     * `occlude: 'query'`: the uploaded photograph occluded, distances to the case's stored embedding;
     * 'case': the case occluded, distances to the photograph's embedding. `bytes`: an image (a DICOM file
     * unwrapped by SearchService.readQuery) whose header the caller has read.
     */
    async explainUpload(bytes: Uint8Array, caseId: string, occlude: OccludedSide): Promise<Explanation> {
      const model = await activeModel();
      const image = await findCase(caseId, 'case');
      const querySha = contentHash(bytes);
      if (occlude === 'query') {
        const reference = await storedEmbedding(model, image);
        return explain(
          model,
          {
            occluded: { side: 'query', imageId: null, sha256: querySha, bytes: async () => bytes },
            reference: { side: 'case', imageId: image.id, embedding: async () => reference },
          },
          `case:${image.id}`,
        );
      }
      return explain(
        model,
        {
          occluded: { side: 'case', imageId: image.id, sha256: image.sha256, bytes: () => files.read(image.originalPath) },
          reference: { side: 'query', imageId: null, embedding: async () => (await runtime.embedImages([bytes], model))[0]! },
        },
        `query:${querySha}`,
      );
    },

    /** The stored image `id` occluded, distances to the stored embedding of the case `against`. */
    async explainStored(id: string, against: string): Promise<Explanation> {
      const model = await activeModel();
      const image = await findCase(id, 'image');
      const other = await findCase(against, 'case');
      const reference = await storedEmbedding(model, other);
      return explain(
        model,
        {
          occluded: { side: 'query', imageId: image.id, sha256: image.sha256, bytes: () => files.read(image.originalPath) },
          reference: { side: 'case', imageId: other.id, embedding: async () => reference },
        },
        `case:${other.id}`,
      );
    },

    /** The network's view of a photograph (`bytes` as for explainUpload) under the active model's preprocessing, as PNG. */
    async preprocessedUpload(bytes: Uint8Array): Promise<Buffer> {
      const model = await activeModel();
      return preprocessedToPng(await preprocessFundus(bytes, model.preprocessing));
    },

    async preprocessedStored(id: string): Promise<Buffer> {
      const model = await activeModel();
      const image = await db.images.findById(id);
      if (!image) throw notFound('image');
      return preprocessedToPng(await preprocessFundus(await files.read(image.originalPath), model.preprocessing));
    },
  };
}

export type ExplanationService = ReturnType<typeof explanationServiceFactory>;
