import { join } from 'node:path';
import type { Database, StoredModelVersion } from '@cbmir/db';
import { createEmbedder, initBackend, loadEmbedder, resolveEmbedderSpec, type Embedder } from '@cbmir/embedder';
import { DEFAULT_PREPROCESSING, preprocessFundus, type FundusPreprocessing } from '@cbmir/imaging';
import type { BackendPreference } from '../config.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** A model version with its network in memory, ready to embed. */
export interface LoadedModel {
  version: StoredModelVersion;
  embedder: Embedder;
  preprocessing: FundusPreprocessing;
}

/** The seeded, untrained ResNet-50 that serves until a trained model version is registered. */
export const DEFAULT_MODEL_NAME = 'resnet50-untrained-seed42';

/** How often search looks whether another process (CLI, second server) activated another version. */
const ACTIVE_CHECK_MS = 5000;

/**
 * Holds the active model version and its loaded network, and turns image bytes into embeddings with a
 * version's own preprocessing -- the one path shared by ingest, search and re-indexing, so queries and
 * the database are always embedded alike.
 */
export function modelRuntimeFactory(deps: { db: Database; dataDir: string; backend?: BackendPreference | undefined; log: Logger }) {
  const { db, log } = deps;
  let active: LoadedModel | null = null;
  let backendName: string | null = null;
  let lastActiveCheck = 0;
  // TF.js runs one graph at a time anyway; queueing keeps concurrent requests from piling up tensors.
  let queue: Promise<unknown> = Promise.resolve();

  async function ensureActiveVersion(): Promise<StoredModelVersion> {
    const current = await db.modelVersions.findActive();
    if (current) return current;
    const existing = await db.modelVersions.findByName(DEFAULT_MODEL_NAME);
    const spec = resolveEmbedderSpec({ architecture: 'resnet50', inputSize: 224, embeddingDim: 128, seed: 42 });
    const version =
      existing ??
      (await db.modelVersions.create({
        name: DEFAULT_MODEL_NAME,
        architecture: spec.architecture,
        embeddingDim: spec.embeddingDim,
        inputSize: spec.inputSize,
        preprocessing: { ...DEFAULT_PREPROCESSING, inputSize: spec.inputSize },
        spec: { ...spec },
        weightsPath: null,
        trained: false,
      }));
    await db.modelVersions.activate(version.id);
    log.warn(`no model version was active: activated ${version.name} (untrained, seeded weights; rankings are not meaningful yet)`);
    return (await db.modelVersions.findById(version.id))!;
  }

  async function load(version: StoredModelVersion): Promise<LoadedModel> {
    const embedder = version.weightsPath
      ? await loadEmbedder(join(deps.dataDir, version.weightsPath))
      : await createEmbedder(resolveEmbedderSpec(version.spec as object));
    if (embedder.spec.embeddingDim !== version.embeddingDim) {
      embedder.dispose();
      throw new Error(`model version ${version.name} says ${version.embeddingDim} dimensions, its network gives ${embedder.spec.embeddingDim}`);
    }
    await db.embeddings.ensureIndex(version);
    return {
      version,
      embedder,
      preprocessing: { ...DEFAULT_PREPROCESSING, ...(version.preprocessing as Partial<FundusPreprocessing>), inputSize: version.inputSize },
    };
  }

  function enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = queue.then(work);
    queue = run.catch(() => undefined);
    return run;
  }

  async function switchTo(next: LoadedModel): Promise<void> {
    const previous = active;
    active = next;
    log.info(`model version ${next.version.name} is active: ${next.version.architecture}, ${next.version.embeddingDim}-d, ${next.version.trained ? 'trained' : 'untrained'}`);
    if (previous && previous !== next) await enqueue(async () => previous.embedder.dispose());
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

    get backend(): string | null {
      return backendName;
    },

    /** Follows an activation made by another process (at most one database look every few seconds). */
    async syncActive(): Promise<void> {
      if (!active || Date.now() - lastActiveCheck < ACTIVE_CHECK_MS) return;
      lastActiveCheck = Date.now();
      const current = await db.modelVersions.findActive();
      if (current && current.id !== active.version.id) await switchTo(await load(current));
    },

    /** Preprocesses and embeds already-validated images with a model (the active one by default), in order. */
    embedImages(images: Uint8Array[], model?: LoadedModel): Promise<Float32Array[]> {
      return enqueue(async () => {
        const target = model ?? active;
        if (!target) throw new Error('model runtime not started');
        const inputs = await Promise.all(images.map(async (bytes) => (await preprocessFundus(bytes, target.preprocessing)).data));
        return target.embedder.embed(inputs);
      });
    },

    async stop(): Promise<void> {
      await queue;
      active?.embedder.dispose();
      active = null;
    },
  };
}

export type ModelRuntime = ReturnType<typeof modelRuntimeFactory>;
