import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, StoredModelVersion } from '@cbmir/db';
import { readModelMetadata } from '@cbmir/embedder';
import { DEFAULT_PREPROCESSING } from '@cbmir/imaging';
import { randomUUID } from 'node:crypto';
import { AppError } from '../errors.ts';

/**
 * Registers a saved model directory (model.json, weights.bin, metadata.json as written by
 * `cbmir train`) as a new model version: the files are copied under CBMIR_DATA_DIR/models so the version
 * does not depend on where it was trained.
 */
export function modelRegistryFactory(deps: { db: Database; dataDir: string }) {
  return {
    async register(dir: string, options: { name?: string | undefined } = {}): Promise<StoredModelVersion> {
      const metadata = await readModelMetadata(dir).catch((error: Error) => {
        throw new AppError(400, 'invalid_model', `${dir} is not a saved cbmir model: ${error.message}`);
      });
      const info = metadata.info ?? {};
      const name = options.name ?? (typeof info.name === 'string' ? info.name : `${metadata.spec.architecture}-${new Date().toISOString().slice(0, 19)}`);
      if (await deps.db.modelVersions.findByName(name)) {
        throw new AppError(409, 'name_taken', `a model version named "${name}" exists already`);
      }
      const relative = join('models', randomUUID());
      await cp(dir, join(deps.dataDir, relative), { recursive: true });
      try {
        return await deps.db.modelVersions.create({
          name,
          architecture: metadata.spec.architecture,
          embeddingDim: metadata.spec.embeddingDim,
          inputSize: metadata.spec.inputSize,
          preprocessing: (info.preprocessing as Record<string, unknown> | undefined) ?? { ...DEFAULT_PREPROCESSING, inputSize: metadata.spec.inputSize },
          spec: { ...metadata.spec },
          weightsPath: relative,
          trained: info.trained !== false,
          metrics: info.metrics || info.training ? { ...(info.metrics as Record<string, unknown> | undefined), ...(info.training ? { training: info.training } : {}) } : null,
        });
      } catch (error) {
        await rm(join(deps.dataDir, relative), { recursive: true, force: true });
        throw error;
      }
    },
  };
}

export type ModelRegistry = ReturnType<typeof modelRegistryFactory>;
