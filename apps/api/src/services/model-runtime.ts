import { join } from 'node:path';
import type { Database, StoredModelVersion } from '@cbmir/db';
import { createEmbedder, initBackend, loadEmbedder, resolveEmbedderSpec, type Embedder } from '@cbmir/embedder';
import { DEFAULT_PREPROCESSING, preprocessFundus, type FundusPreprocessing } from '@cbmir/imaging';
import type { BackendPreference } from '../config.ts';

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}

/** The seeded, untrained ResNet-50 that serves until a trained model version is registered. */
export const DEFAULT_MODEL_NAME = 'resnet50-untrained-seed42';

/**
 * Holds the active model version and its loaded network, and turns image bytes into embeddings with the
 * version's own preprocessing -- the one path shared by ingest and search, so queries and the database
 * are always embedded alike.
 */
export function modelRuntimeFactory(deps: { db: Database; dataDir: string; backend?: BackendPreference | undefined; log: Logger }) {
  const { db, log } = deps;
  let loaded: { version: StoredModelVersion; embedder: Embedder; preprocessing: FundusPreprocessing } | null = null;
  let backendName: string | null = null;
  // TF.js runs one graph at a time anyway; queueing keeps concurrent requests from piling up tensors.
  let queue: Promise<unknown> = Promise.resolve();

  async function ensureActiveVersion(): Promise<StoredModelVersion> {
    const active = await db.modelVersions.findActive();
    if (active) return active;
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
    return { ...version, active: true };
  }

  return {
    /** Chooses the compute backend, makes sure a version is active and loads its network. */
    async start(): Promise<StoredModelVersion> {
      const backend = await initBackend(deps.backend);
      backendName = backend.name;
      log.info(`TensorFlow.js backend: ${backend.name} (${backend.detail})`);
      const version = await ensureActiveVersion();
      const embedder = version.weightsPath
        ? await loadEmbedder(join(deps.dataDir, version.weightsPath))
        : await createEmbedder(resolveEmbedderSpec(version.spec as object));
      if (embedder.spec.embeddingDim !== version.embeddingDim) {
        throw new Error(`model version ${version.name} says ${version.embeddingDim} dimensions, its network gives ${embedder.spec.embeddingDim}`);
      }
      await db.embeddings.ensureIndex(version);
      loaded = {
        version,
        embedder,
        preprocessing: { ...DEFAULT_PREPROCESSING, ...(version.preprocessing as Partial<FundusPreprocessing>) },
      };
      log.info(`model version ${version.name}: ${version.architecture}, ${version.embeddingDim}-d, ${version.trained ? 'trained' : 'untrained'}`);
      return version;
    },

    get version(): StoredModelVersion | null {
      return loaded?.version ?? null;
    },

    get backend(): string | null {
      return backendName;
    },

    /** Preprocesses and embeds already-validated images, in the order given. */
    embedImages(images: Uint8Array[]): Promise<Float32Array[]> {
      const run = queue.then(async () => {
        if (!loaded) throw new Error('model runtime not started');
        const { embedder, preprocessing } = loaded;
        const inputs = await Promise.all(images.map(async (bytes) => (await preprocessFundus(bytes, preprocessing)).data));
        return embedder.embed(inputs);
      });
      queue = run.catch(() => undefined);
      return run;
    },

    async stop(): Promise<void> {
      await queue;
      loaded?.embedder.dispose();
      loaded = null;
    },
  };
}

export type ModelRuntime = ReturnType<typeof modelRuntimeFactory>;
