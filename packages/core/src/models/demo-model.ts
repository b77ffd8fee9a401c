import type { FileStore } from '../storage/file-store.ts';
import type { Logger } from '../logger.ts';
import type { ModelRegistry } from './model-registry.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database, StoredModelVersion } from '@cbmir/db';
import { embedWithModel, resolveEmbedderSpec, runTraining, splitByPatient, type TrainingItem, type ValidationMetrics } from '@cbmir/embedder';
import { validationMetrics } from '@cbmir/retrieval';
import type * as tf from '@tensorflow/tfjs';
import { augmentPreprocessed, preprocessingForInputSize, preprocessFundus } from '@cbmir/imaging';
import type { ModelActivation } from './model-activation.ts';

export const DEMO_MODEL_NAME = 'demo-siamese-resnet-tiny-64px';
const INPUT_SIZE = 64;
const MIN_IMAGES_TO_VALIDATE = 20;

/**
 * A fresh demo should search with a trained model, and no trained weights ship with the repository.
 * So on first start cbmir trains a small Siamese ResNet on its own synthetic demo images for a bounded
 * time (same/different-grade pairs, contrastive loss, augmentation, never one patient with itself),
 * registers it and activates it. Progress goes to the log.
 */
export async function trainDemoModel(
  deps: { db: Database; files: FileStore; models: ModelRegistry; activation: ModelActivation; dataDir: string; log: Logger },
  options: { seconds: number },
): Promise<StoredModelVersion | null> {
  const { db, log } = deps;
  if (await db.modelVersions.findByName(DEMO_MODEL_NAME)) return null;
  const images = (await db.images.list({ source: 'demo', limit: 10_000 })).filter((image) => image.grade !== null);
  if (images.length < 10) return null;

  const preprocessing = preprocessingForInputSize(INPUT_SIZE);
  const pixels = new Map<string, Float32Array>();
  for (const image of images) pixels.set(image.id, (await preprocessFundus(await deps.files.read(image.originalPath), preprocessing)).data);
  const items: TrainingItem[] = images.map((image) => ({ id: image.id, grade: image.grade!, patientId: image.patientRef ?? image.id }));
  // With enough images, a quarter of the patients are held out, so the demo model ships with validation
  // metrics (retrieval of unseen patients) beside those of its untrained start; with fewer it trains on all.
  const { train, validation } = items.length >= MIN_IMAGES_TO_VALIDATE ? splitByPatient(items, 0.25, 7) : { train: items, validation: [] };
  const validate =
    validation.length > 0
      ? async (model: tf.LayersModel) =>
          validationMetrics(
            await embedWithModel(
              model,
              validation.map((item) => pixels.get(item.id)!),
              32,
            ),
            validation,
          )
      : undefined;

  const outDir = await mkdtemp(join(deps.dataDir, 'demo-training-'));
  try {
    const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: INPUT_SIZE, embeddingDim: 32, seed: 7, dropout: 0.1 });
    let lastLog = 0;
    const result = await runTraining({
      kind: 'siamese',
      spec,
      items: train,
      validate,
      // a handful of synthetic validation images cannot pick an epoch: ship the last one, report the metrics
      keep: 'last',
      loadImage: (id, seed) => augmentPreprocessed(pixels.get(id)!, INPUT_SIZE, seed),
      epochs: 1000,
      batchSize: 16,
      stepsPerEpoch: 5,
      learningRate: 2e-3,
      margin: 1,
      positiveFraction: 0.5,
      seed: 7,
      outDir,
      resume: false,
      timeBudgetMs: options.seconds * 1000,
      onProgress: (p) => {
        if (Date.now() - lastLog < 5000) return;
        lastLog = Date.now();
        log.info(`training the demo model: epoch ${p.epoch}, loss ${p.loss.toFixed(3)}, ${p.imagesPerSecond.toFixed(0)} img/s`);
      },
      info: {
        name: DEMO_MODEL_NAME,
        preprocessing,
        trainingData: { images: train.length, validationImages: validation.length, source: 'synthetic demo images' },
      },
    });
    const metrics = (m: ValidationMetrics | null | undefined) => (m ? `MAP ${m.map.toFixed(3)}, MRR ${(m.mrr ?? NaN).toFixed(3)}` : 'n/a');
    log.info(
      `demo model trained: ${result.epochsDone} epochs, final mean loss ${result.history.at(-1)?.meanLoss.toFixed(3)}` +
        (validate
          ? `; validation (${validation.length} images of unseen patients): untrained ${metrics(result.untrained)}, trained ${metrics(result.history.at(-1)?.validation)}`
          : ''),
    );
    const version = await deps.models.register(outDir, { name: DEMO_MODEL_NAME });
    await deps.activation.activateNow(version.id);
    return version;
  } finally {
    await rm(outDir, { recursive: true, force: true });
  }
}
