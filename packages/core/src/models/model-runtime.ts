import { versionModelDir } from './model-registry.ts';
import type { Logger } from '../logger.ts';
import { join } from 'node:path';
import type { Database, StoredModelVersion } from '@cbmir/db';
import {
  createEmbedder,
  createServingEmbedder,
  initBackend,
  loadEmbedder,
  loadServingEmbedder,
  resolveEmbedderSpec,
  type Embedder,
  type EmbedderSpec,
  type InferenceEmbedder,
  type InferenceEngine,
} from '@cbmir/embedder';
import {
  preprocessingForInputSize,
  ImageValidationError,
  preprocessFundus,
  resolvePreprocessing,
  type DecodedImage,
  type FundusPreprocessing,
} from '@cbmir/imaging';
import type { BackendPreference } from '../config.ts';
import { EmbedderUnavailable, RejectedImage } from '../embedding/embed-errors.ts';
import { createEmbeddingBatcher, type EmbeddingBatcher, type EmbeddingBatcherStats } from '../embedding/embedding-batcher.ts';

/** A model version with its network in memory, ready to embed (ONNX Runtime or TF.js; see load()). */
export interface LoadedModel<E extends InferenceEmbedder = InferenceEmbedder> {
  version: StoredModelVersion;
  embedder: E;
  preprocessing: FundusPreprocessing;
}

/** Where a request's embedding time went (for Server-Timing and benchmarks). */
export interface EmbedTiming {
  /** decode + fundus preprocessing of the request's images */
  preprocessMs: number;
  /** from handing the images to the batcher to their embeddings: batching wait, queue and forward pass */
  embedMs: number;
  /** images in the forward pass this request's images ran in (with other requests') */
  batchSize?: number;
}

/** Dynamic batching of concurrent embed calls (see embedding-batcher.ts). */
export interface BatchingOptions {
  maxBatch: number;
  windowMs: number;
}

export const DEFAULT_BATCHING: BatchingOptions = { maxBatch: 16, windowMs: 5 };

/** The seeded, untrained ResNet-50 that serves until a trained model version is registered. */
export const DEFAULT_MODEL_NAME = 'resnet50-untrained-seed42';

/** How often search looks whether another process (CLI, second server) activated another version. */
const ACTIVE_CHECK_MS = 5000;

/** The model version of an untrained, seeded network: no weight files, rebuilt from its spec when loaded. */
export function untrainedVersionRecord(name: string, spec: EmbedderSpec) {
  return {
    name,
    architecture: spec.architecture,
    embeddingDim: spec.embeddingDim,
    inputSize: spec.inputSize,
    preprocessing: { ...preprocessingForInputSize(spec.inputSize) },
    spec: { ...spec },
    weightsPath: null,
    trained: false,
  };
}

/**
 * Holds the active model version and its loaded network, and turns image bytes into embeddings with a
 * version's own preprocessing -- the one path shared by ingest, search and re-indexing, so queries and
 * the database are always embedded alike.
 */
export function modelRuntimeFactory(deps: {
  db: Database;
  dataDir: string;
  backend?: BackendPreference | undefined;
  /** ONNX Runtime where it can serve, else TF.js ('auto', the default); or one engine only */
  inference?: InferenceEngine | undefined;
  batching?: BatchingOptions | undefined;
  /** The version to activate when none is active (the shipped model), before the untrained default. */
  defaultVersion?: (() => Promise<StoredModelVersion | null>) | undefined;
  log: Logger;
  /** Told of every forward pass: images and milliseconds (metrics). */
  onEmbedBatch?: ((size: number, ms: number) => void) | undefined;
}) {
  const { db, log } = deps;
  const batching = deps.batching ?? DEFAULT_BATCHING;
  let active: LoadedModel | null = null;
  let backendName: string | null = null;
  let lastActiveCheck = 0;
  // One forward pass at a time, whichever model: both engines use every core for one pass, and TF.js
  // would otherwise pile up tensors. The batchers feed this queue.
  let queue: Promise<unknown> = Promise.resolve();
  const batchers = new WeakMap<InferenceEmbedder, EmbeddingBatcher>();
  // embedImages calls per network still running: a replaced network is disposed only after its last one.
  const inFlight = new Map<InferenceEmbedder, Set<Promise<unknown>>>();

  async function ensureActiveVersion(): Promise<StoredModelVersion> {
    const current = await db.modelVersions.findActive();
    if (current) return current;
    const shipped = await deps.defaultVersion?.();
    if (shipped) {
      await db.modelVersions.activate(shipped.id);
      log.info(`no model version was active: activated ${shipped.name} (${shipped.trained ? 'trained' : 'untrained'}, the default model)`);
      return (await db.modelVersions.findById(shipped.id))!;
    }
    const existing = await db.modelVersions.findByName(DEFAULT_MODEL_NAME);
    const spec = resolveEmbedderSpec({ architecture: 'resnet50', inputSize: 224, embeddingDim: 128, seed: 42 });
    const version = existing ?? (await db.modelVersions.create(untrainedVersionRecord(DEFAULT_MODEL_NAME, spec)));
    await db.modelVersions.activate(version.id);
    log.warn(`no model version was active: activated ${version.name} (untrained, seeded weights; rankings are not meaningful yet)`);
    return (await db.modelVersions.findById(version.id))!;
  }

  /**
   * Loads a version's network: for serving (the default) ONNX Runtime when it can (see
   * loadServingEmbedder; a version without model.onnx gets one exported here, the seeded default in
   * CBMIR_DATA_DIR/models/<version id>/), else TF.js. `{ engine: 'tfjs' }` gives the TF.js model itself
   * (layer access, training).
   */
  function load(version: StoredModelVersion, options: { engine: 'tfjs' }): Promise<LoadedModel<Embedder>>;
  function load(version: StoredModelVersion, options?: { engine?: InferenceEngine }): Promise<LoadedModel>;
  async function load(version: StoredModelVersion, options: { engine?: InferenceEngine } = {}): Promise<LoadedModel> {
    const engine = options.engine ?? deps.inference ?? 'auto';
    const spec = resolveEmbedderSpec(version.spec as object);
    // Refused before any network is loaded: embeddings of another preprocessing would not compare.
    const preprocessing = resolvePreprocessing(version.preprocessing, version.inputSize);
    const serving = { engine, exportIfMissing: true, log };
    let embedder: InferenceEmbedder;
    if (engine === 'tfjs') {
      embedder = version.weightsPath ? await loadEmbedder(join(deps.dataDir, version.weightsPath)) : await createEmbedder(spec);
    } else {
      const dir = versionModelDir(deps.dataDir, version);
      embedder = version.weightsPath ? await loadServingEmbedder(dir, serving) : await createServingEmbedder(spec, dir, serving);
    }
    if (embedder.spec.embeddingDim !== version.embeddingDim) {
      embedder.dispose();
      throw new Error(`model version ${version.name} says ${version.embeddingDim} dimensions, its network gives ${embedder.spec.embeddingDim}`);
    }
    await db.embeddings.ensureIndex(version);
    return {
      version,
      embedder,
      preprocessing,
    };
  }

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  }

  function batcherFor(embedder: InferenceEmbedder): EmbeddingBatcher {
    let batcher = batchers.get(embedder);
    if (!batcher) {
      batcher = createEmbeddingBatcher({
        run: (inputs) => enqueue(() => embedder.embed(inputs, { batchSize: batching.maxBatch })),
        maxBatch: batching.maxBatch,
        windowMs: batching.windowMs,
        ...(deps.onEmbedBatch ? { onBatch: deps.onEmbedBatch } : {}),
      });
      batchers.set(embedder, batcher);
    }
    return batcher;
  }

  function track<T>(embedder: InferenceEmbedder, work: Promise<T>): Promise<T> {
    if (!inFlight.has(embedder)) inFlight.set(embedder, new Set());
    const calls = inFlight.get(embedder)!;
    calls.add(work);
    const done = () => {
      calls.delete(work);
      if (calls.size === 0) inFlight.delete(embedder);
    };
    work.then(done, done);
    return work;
  }

  async function settle(embedder: InferenceEmbedder): Promise<void> {
    while (inFlight.has(embedder)) await Promise.allSettled([...inFlight.get(embedder)!]);
  }

  async function switchTo(next: LoadedModel): Promise<void> {
    const previous = active;
    active = next;
    log.info(
      `model version ${next.version.name} is active: ${next.version.architecture}, ${next.version.embeddingDim}-d, ` +
        `${next.version.trained ? 'trained' : 'untrained'}, served by ${next.embedder.engine}`,
    );
    if (previous && previous !== next) {
      await settle(previous.embedder);
      await enqueue(async () => previous.embedder.dispose());
    }
  }

  return {
    /** Chooses the compute backend, makes sure a version is active and loads its network. */
    async start(): Promise<StoredModelVersion> {
      const backend = await initBackend(deps.backend);
      backendName = backend.name;
      log.info(`TensorFlow.js backend: ${backend.name} (${backend.detail})`);
      await switchTo(await load(await ensureActiveVersion()));
      lastActiveCheck = Date.now();
      return active!.version;
    },

    load,
    switchTo,

    get active(): LoadedModel | null {
      return active;
    },

    get version(): StoredModelVersion | null {
      return active?.version ?? null;
    },

    /** The engine serving the active model ('onnxruntime-cpu', 'onnxruntime-cuda' or the TF.js backend). */
    get backend(): string | null {
      return active?.embedder.engine ?? backendName;
    },

    /** How the active model's requests were batched so far. */
    batchStats(): EmbeddingBatcherStats | null {
      return active ? batcherFor(active.embedder).stats() : null;
    },

    /** Follows an activation made by another process (at most one database look every few seconds). */
    async syncActive(): Promise<void> {
      if (!active || Date.now() - lastActiveCheck < ACTIVE_CHECK_MS) return;
      lastActiveCheck = Date.now();
      const current = await db.modelVersions.findActive();
      if (current && current.id !== active.version.id) await switchTo(await load(current));
    },

    /**
     * Preprocesses and embeds already-validated images with a model (the active one by default), in order.
     * An image decodeImage has decoded already (ingest) is not decoded again where the model's preprocessing
     * can use its pixels; the result is the same as from its bytes. Concurrent calls for the same model are embedded together in batches; `timing` receives where the
     * time went. An image that preprocessing refuses rejects the call with a RejectedImage (which one); a
     * failing forward pass with EmbedderUnavailable (the network takes any preprocessed input, so that is
     * never one image's fault).
     */
    embedImages(images: (Uint8Array | DecodedImage)[], model?: Pick<LoadedModel, 'embedder' | 'preprocessing'>, timing?: EmbedTiming): Promise<Float32Array[]> {
      const target = model ?? active;
      if (!target) return Promise.reject(new Error('model runtime not started'));
      return track(
        target.embedder,
        (async () => {
          const started = performance.now();
          const preprocessing = await Promise.allSettled(images.map((image) => preprocessFundus(image, target.preprocessing)));
          const inputs = preprocessing.map((result, index) => {
            if (result.status === 'fulfilled') return result.value.data;
            throw result.reason instanceof ImageValidationError ? new RejectedImage(index, result.reason) : result.reason;
          });
          const preprocessed = performance.now();
          const embeddings = await batcherFor(target.embedder)
            .embed(inputs, timing)
            .catch((error: unknown) => {
              throw EmbedderUnavailable.from(error);
            });
          if (timing) {
            timing.preprocessMs = preprocessed - started;
            timing.embedMs = performance.now() - preprocessed;
          }
          return embeddings;
        })(),
      );
    },

    /**
     * Embeds network inputs that are already preprocessed (variants of one image, e.g. an occlusion map's)
     * through the same batcher and engine queue as embedImages.
     */
    embedInputs(inputs: Float32Array[], model: Pick<LoadedModel, 'embedder'>): Promise<Float32Array[]> {
      return track(
        model.embedder,
        batcherFor(model.embedder)
          .embed(inputs)
          .catch((error: unknown) => {
            throw EmbedderUnavailable.from(error);
          }),
      );
    },

    async stop(): Promise<void> {
      if (active) await settle(active.embedder);
      await queue;
      active?.embedder.dispose();
      active = null;
    },
  };
}

export type ModelRuntime = ReturnType<typeof modelRuntimeFactory>;
