import { cp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, Repositories, StoredModelVersion } from '@cbmir/db';
import {
  createEmbedder,
  type BackendName,
  exportModelDirToOnnx,
  initBackend,
  loadServingEmbedder,
  readModelMetadata,
  resolveEmbedderSpec,
  weightsFormatOf,
  writeOnnxModel,
  type OnnxExportResult,
} from '@cbmir/embedder';
import { resolvePreprocessing } from '@cbmir/imaging';
import { randomUUID } from 'node:crypto';
import { ConflictError, InvalidInputError, notFound } from '../errors/domain-error.ts';
import type { Logger } from '../logger.ts';

/**
 * The directory of a version's model files: its registered copy, or for the seeded default (no saved
 * weights) CBMIR_DATA_DIR/models/<version id>/, which holds only its ONNX export.
 */
export function versionModelDir(dataDir: string, version: StoredModelVersion): string {
  return join(dataDir, version.weightsPath ?? join('models', version.id));
}

/**
 * Registers a saved model directory (as written by `cbmir train`) as a new model version: the files are
 * copied under CBMIR_DATA_DIR/models so the version does not depend on where it was trained. A TF.js
 * directory (model.json, weights.bin) gets a model.onnx exported from it, so ONNX Runtime can serve the
 * version; a model the exporter cannot translate is served by TF.js. A PyTorch directory (model.onnx only)
 * is registered only once ONNX Runtime has opened it and embedded an image with it: a version that cannot
 * be served is never registered.
 */
export function modelRegistryFactory(deps: {
  db: Database;
  dataDir: string;
  /** The TF.js backend to export with (chosen at the first export, unless a runtime chose it already). */
  backend?: BackendName | undefined;
  log?: Logger | undefined;
}) {
  const tfjsBackend = () => initBackend(deps.backend);
  return {
    /** Every model version, newest first. */
    list(): Promise<StoredModelVersion[]> {
      return deps.db.modelVersions.list();
    },

    /** A model version by id or by name (as the CLI's users name them); null when none has it. */
    async find(idOrName: string): Promise<StoredModelVersion | null> {
      const byId = /^[0-9a-f-]{36}$/i.test(idOrName) ? await deps.db.modelVersions.findById(idOrName) : null;
      return byId ?? (await deps.db.modelVersions.findByName(idOrName));
    },

    /** A model version by id; not-found otherwise. */
    async get(id: string): Promise<StoredModelVersion> {
      const version = await deps.db.modelVersions.findById(id);
      if (!version) throw notFound('model version');
      return version;
    },

    /** `audit` writes the registration's audit row in the transaction that creates the version. */
    async register(
      dir: string,
      options: { name?: string | undefined; audit?: ((tx: Repositories, version: StoredModelVersion) => Promise<void>) | undefined } = {},
    ): Promise<StoredModelVersion> {
      const metadata = await readModelMetadata(dir).catch((error: Error) => {
        throw new InvalidInputError('invalid_model', `${dir} is not a saved cbmir model: ${error.message}`);
      });
      const info = metadata.info ?? {};
      let preprocessing;
      try {
        preprocessing = resolvePreprocessing(info.preprocessing, metadata.spec.inputSize);
      } catch (error) {
        throw new InvalidInputError('invalid_model', `${dir}: ${(error as Error).message}`);
      }
      const name = options.name ?? (typeof info.name === 'string' ? info.name : `${metadata.spec.architecture}-${new Date().toISOString().slice(0, 19)}`);
      if (await deps.db.modelVersions.findByName(name)) {
        throw new ConflictError('name_taken', `a model version named "${name}" exists already`);
      }
      const relative = join('models', randomUUID());
      await cp(dir, join(deps.dataDir, relative), { recursive: true });
      try {
        if (weightsFormatOf(metadata) === 'onnx') await assertServable(join(deps.dataDir, relative), dir);
        else
          await tfjsBackend()
            .then(() => exportModelDirToOnnx(join(deps.dataDir, relative)))
            .then(
              (exported) => deps.log?.info(`exported ${exported.file} (${(exported.bytes / 1e6).toFixed(1)} MB) in ${exported.seconds.toFixed(1)} s`),
              (error: Error) => deps.log?.warn(`no ONNX export for ${name} (TF.js will serve it): ${error.message}`),
            );
        return await deps.db.transaction(async (tx) => {
          const version = await tx.modelVersions.create({
            name,
            architecture: metadata.spec.architecture,
            embeddingDim: metadata.spec.embeddingDim,
            inputSize: metadata.spec.inputSize,
            preprocessing: { ...preprocessing },
            spec: { ...metadata.spec },
            weightsPath: relative,
            trained: info.trained !== false,
            metrics:
              info.metrics || info.training
                ? { ...(info.metrics as Record<string, unknown> | undefined), ...(info.training ? { training: info.training } : {}) }
                : null,
          });
          await options.audit?.(tx, version);
          return version;
        });
      } catch (error) {
        await rm(join(deps.dataDir, relative), { recursive: true, force: true });
        throw error;
      }
    },

    /**
     * The default model (the one that ships with cbmir) as a version: found by the name in its metadata, or
     * registered now (first start). Null, with a warning, when it cannot be served here.
     */
    async registerDefault(dir: string): Promise<StoredModelVersion | null> {
      const metadata = await readModelMetadata(dir);
      const name = typeof metadata.info?.name === 'string' ? metadata.info.name : null;
      const existing = name ? await deps.db.modelVersions.findByName(name) : null;
      if (existing) return existing;
      try {
        const version = await this.register(dir);
        deps.log?.info(`registered the default model ${version.name} from ${dir}`);
        return version;
      } catch (error) {
        deps.log?.warn(`the default model in ${dir} cannot be used (${(error as Error).message}); the untrained default serves instead`);
        return null;
      }
    },

    /**
     * (Re-)writes a version's model.onnx from its TF.js files; for the seeded default (no files) from its
     * spec, into CBMIR_DATA_DIR/models/<version id>/. A running server picks it up at its next load.
     */
    async exportOnnx(version: StoredModelVersion): Promise<OnnxExportResult> {
      const dir = versionModelDir(deps.dataDir, version);
      if (version.weightsPath && weightsFormatOf(await readModelMetadata(dir)) === 'onnx') {
        throw new ConflictError('onnx_only', `${version.name} was trained with PyTorch: its model.onnx is its weights, there is nothing to export it from`);
      }
      await tfjsBackend();
      if (version.weightsPath) return exportModelDirToOnnx(dir);
      const spec = resolveEmbedderSpec(version.spec as object);
      const embedder = await createEmbedder(spec);
      try {
        return await writeOnnxModel(dir, embedder, { 'cbmir.source': `seeded weights (seed ${spec.seed}), untrained` });
      } finally {
        embedder.dispose();
      }
    },
  };
}

/** Opens an ONNX-only model with ONNX Runtime and embeds one neutral image, or refuses it (400). */
async function assertServable(copy: string, original: string): Promise<void> {
  let embedder;
  try {
    embedder = await loadServingEmbedder(copy, { engine: 'onnxruntime' });
    const { inputSize, embeddingDim } = embedder.spec;
    const [vector] = await embedder.embed([new Float32Array(inputSize * inputSize * 3)]);
    if (vector?.length !== embeddingDim || !vector.every(Number.isFinite)) throw new Error('its embedding of a test image is not finite');
  } catch (error) {
    throw new InvalidInputError('invalid_model', `${original} cannot be served: ${(error as Error).message}`);
  } finally {
    embedder?.dispose();
  }
}

export type ModelRegistry = ReturnType<typeof modelRegistryFactory>;
