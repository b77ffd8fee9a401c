import type { Database } from '@cbmir/db';
import { useTestDatabase } from '@cbmir/db/testing';
import { resolveEmbedderSpec } from '@cbmir/embedder';
import { afterAll, beforeAll } from 'vitest';
import { type ModelRuntime, modelRuntimeFactory, untrainedVersionRecord } from './model-runtime.ts';

/**
 * For an integration test file: a test database and data directory (useTestDatabase) and a started model
 * runtime serving a tiny untrained network (resnet-tiny, 64 px, 16-d, TF.js) registered as version `name`;
 * stopped and removed after the file's tests.
 */
export function useTinyModelRuntime(dirPrefix: string, name: string): { readonly db: Database; readonly dataDir: string; readonly runtime: ModelRuntime } {
  const fixture = useTestDatabase(dirPrefix);
  let runtime: ModelRuntime | undefined;
  beforeAll(async () => {
    const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 64, embeddingDim: 16, seed: 7 });
    const version = await fixture.db.modelVersions.create(untrainedVersionRecord(name, spec));
    runtime = modelRuntimeFactory({
      db: fixture.db,
      dataDir: fixture.dataDir,
      inference: 'tfjs',
      defaultVersion: async () => version,
      log: { info: () => {}, warn: () => {} },
    });
    await runtime.start();
  });
  afterAll(async () => {
    await runtime?.stop();
  });
  return {
    get db() {
      return fixture.db;
    },
    dataDir: fixture.dataDir,
    get runtime() {
      if (!runtime) throw new Error('the model runtime starts in beforeAll: use it inside a test or hook');
      return runtime;
    },
  };
}
