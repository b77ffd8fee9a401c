import { readFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { resolve } from 'node:path';
import {
  ARCHITECTURES,
  embeddingPart,
  embedWithModel,
  initBackend,
  loadKerasWeights,
  resolveEmbedderSpec,
  runTraining,
  splitByPatient,
  type Architecture,
  type ModelKind,
  type TrainingItem,
  type TrainingRunResult,
  type ValidationMetrics,
} from '@cbmir/embedder';
import { augmentPreprocessed, contentHash, DEFAULT_PREPROCESSING } from '@cbmir/imaging';
import type * as tf from '@tensorflow/tfjs';
import { readLabelledFolder } from '../labelled-folder.ts';
import { preprocessedCacheFactory } from '../preprocessed-cache.ts';
import { createProgress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

export interface TrainOptions {
  data: string;
  labels: string;
  model: ModelKind;
  arch: Architecture;
  imageSize: number;
  embeddingDim: number;
  epochs: number;
  batch: number;
  margin: number;
  lr: number;
  seed: number;
  positiveFraction: number;
  validationFraction: number;
  stepsPerEpoch: number | undefined;
  timeBudgetMinutes: number | undefined;
  patience: number | undefined;
  out: string;
  resume: boolean;
  name: string | undefined;
  /** Keras ResNet-50 ImageNet weights (HDF5, "notop") to start from, as the paper did. */
  init: string | undefined;
  dataDir: string;
  backend: string | undefined;
  validate: (embeddings: Float32Array[], items: TrainingItem[]) => ValidationMetrics;
}

/** Reads and checks `cbmir train` options; every problem is a UsageError (exit 2). */
export function parseTrainOptions(values: Record<string, string | boolean | undefined>): Omit<TrainOptions, 'dataDir' | 'backend' | 'validate'> {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const number = (name: string, fallback: number | undefined, check: (n: number) => boolean, rule: string) => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${rule}, got "${raw}"`);
    return value;
  };
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const data = text('data');
  const labels = text('labels');
  const out = text('out');
  if (!data || !labels || !out) throw new UsageError('train needs --data <folder>, --labels <csv> and --out <dir>');
  const model = text('model') ?? 'siamese';
  if (model !== 'siamese' && model !== 'supervised') throw new UsageError(`--model must be siamese or supervised, got "${model}"`);
  const arch = text('arch') ?? 'resnet50';
  if (!ARCHITECTURES.includes(arch as Architecture)) throw new UsageError(`--arch must be one of ${ARCHITECTURES.join(', ')}, got "${arch}"`);
  if (text('init') && arch !== 'resnet50') throw new UsageError('--init loads Keras ResNet-50 ImageNet weights: it needs --arch resnet50');
  return {
    data,
    labels,
    out: resolve(out),
    model,
    arch: arch as Architecture,
    imageSize: number('image-size', 224, (n) => positiveInt(n) && n >= 16 && n <= 1024, 'an integer from 16 to 1024')!,
    embeddingDim: number('embedding-dim', 128, (n) => positiveInt(n) && n <= 2000, 'an integer from 1 to 2000')!,
    epochs: number('epochs', 10, positiveInt, 'a positive integer')!,
    batch: number('batch', 16, positiveInt, 'a positive integer')!,
    margin: number('margin', 1, (n) => n > 0, 'positive')!,
    lr: number('lr', 1e-3, (n) => n > 0 && n < 1, 'between 0 and 1')!,
    seed: number('seed', 42, Number.isInteger, 'an integer')!,
    positiveFraction: number('positive-fraction', 0.5, (n) => n >= 0 && n <= 1, 'from 0 to 1')!,
    validationFraction: number('validation-fraction', 0.15, (n) => n > 0 && n < 0.9, 'between 0 and 0.9')!,
    stepsPerEpoch: number('steps-per-epoch', undefined, positiveInt, 'a positive integer'),
    timeBudgetMinutes: number('time-budget', undefined, (n) => n > 0, 'a positive number of minutes'),
    patience: number('patience', 3, positiveInt, 'a positive integer'),
    resume: values.resume === true,
    name: text('name'),
    init: text('init'),
  };
}

const formatMs = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600 ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m` : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

/**
 * `cbmir train`: preprocess the labelled images once (cached), split by patient, train with augmentation,
 * validate retrieval on the held-out patients every epoch, keep the best model in --out.
 */
export async function train(options: TrainOptions, signal: AbortSignal): Promise<{ result: TrainingRunResult; summary: string }> {
  const backend = await initBackend(options.backend);
  console.error(`TensorFlow.js backend: ${backend.name}`);
  const { images } = await readLabelledFolder(options.data, options.labels);
  const labelled = images.filter((image) => image.label?.grade !== null && image.label?.grade !== undefined);
  if (labelled.length < 10) throw new UsageError(`only ${labelled.length} labelled images in ${options.data}: too few to train`);

  const preprocessing = { ...DEFAULT_PREPROCESSING, inputSize: options.imageSize };
  const cache = preprocessedCacheFactory({ dataDir: options.dataDir, params: preprocessing });
  const pixels = new Map<string, Float32Array>();
  const hashes: string[] = [];
  const progress = createProgress('preprocessing', labelled.length);
  for (const [i, image] of labelled.entries()) {
    const bytes = await readFile(image.path);
    hashes.push(`${contentHash(bytes)}:${image.label!.grade}`);
    pixels.set(image.fileName, await cache.get(bytes));
    progress.update(i + 1, image.fileName.length > 30 ? '' : image.fileName);
  }
  progress.stop();
  const dataFingerprint = createHash('sha256').update(hashes.sort().join('\n')).digest('hex').slice(0, 16);

  const items: TrainingItem[] = labelled.map((image) => ({
    id: image.fileName,
    grade: image.label!.grade!,
    patientId: image.label!.patientRef ?? image.fileName,
  }));
  const { train: trainItems, validation } = splitByPatient(items, options.validationFraction, options.seed);
  console.error(
    `${trainItems.length} training and ${validation.length} validation images (split by patient); ` +
      `grades in training: ${[0, 1, 2, 3, 4].map((g) => `${g}:${trainItems.filter((i) => i.grade === g).length}`).join(' ')}`,
  );

  // ImageNet weights expect Keras' caffe input (BGR, 0-255 minus the channel means): a fixed first layer converts.
  const spec = resolveEmbedderSpec({
    architecture: options.arch,
    inputSize: options.imageSize,
    embeddingDim: options.embeddingDim,
    seed: options.seed,
    inputConvention: options.init ? 'caffe' : 'unit',
  });
  const validate = async (model: tf.LayersModel): Promise<ValidationMetrics> => {
    // Siamese: the embedding itself; supervised: its second-to-last layer, the paper's best CNN layer.
    const embedder = embeddingPart(model, options.embeddingDim);
    if (!embedder) throw new Error(`the ${options.model} network does not give ${options.embeddingDim}-d embeddings`);
    const embeddings = await embedWithModel(embedder, validation.map((item) => pixels.get(item.id)!), 32);
    return options.validate(embeddings, validation);
  };

  const totalSteps = () => options.epochs * (options.stepsPerEpoch ?? Math.ceil(trainItems.length / options.batch));
  const bar = createProgress(`training ${options.model} ${options.arch}@${options.imageSize}px`, totalSteps(), 'steps');
  const started = Date.now();
  const result = await runTraining({
    kind: options.model,
    spec,
    items: trainItems,
    loadImage: (id, augmentationSeed) => augmentPreprocessed(pixels.get(id)!, options.imageSize, augmentationSeed),
    epochs: options.epochs,
    batchSize: options.batch,
    stepsPerEpoch: options.stepsPerEpoch,
    learningRate: options.lr,
    margin: options.margin,
    positiveFraction: options.positiveFraction,
    seed: options.seed,
    outDir: options.out,
    resume: options.resume,
    timeBudgetMs: options.timeBudgetMinutes === undefined ? undefined : options.timeBudgetMinutes * 60_000,
    patience: options.patience,
    validate,
    signal,
    init: options.init
      ? async (model) => {
          const report = await loadKerasWeights(model, options.init!);
          console.error(`--init: loaded ${report.loaded.length} layers from ${options.init}; not in the file (trained from scratch): ${report.missing.join(', ') || 'none'}`);
        }
      : undefined,
    onProgress: (p) =>
      bar.update((p.epoch - 1) * p.stepsPerEpoch + p.step, `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatMs(p.etaMs)}`),
    onEpoch: (record) => {
      const v = record.validation;
      console.error(
        `\nepoch ${record.epoch}: mean loss ${record.meanLoss.toFixed(4)}` +
          (v ? `, validation MAP ${v.map.toFixed(4)}, macro-MAP ${(v.macroMap ?? NaN).toFixed(4)}, MRR ${(v.mrr ?? NaN).toFixed(4)}` : '') +
          ` (${formatMs(record.elapsedMs)})`,
      );
    },
    info: {
      name: options.name ?? `${options.model}-${options.arch}-${options.imageSize}px-${dataFingerprint.slice(0, 6)}-seed${options.seed}`,
      preprocessing,
      dataFingerprint,
      trainingData: { images: trainItems.length, validationImages: validation.length, folder: resolve(options.data) },
      backend: backend.name,
      init: options.init ?? null,
    },
  });
  bar.stop();

  const best = result.best?.validation;
  const lines = [
    `stopped: ${result.stoppedBy} after ${result.epochsDone} epoch(s) in ${formatMs(Date.now() - started)}, ${result.imagesPerSecond.toFixed(1)} training img/s on ${backend.name}`,
    result.untrained ? `validation before training: MAP ${result.untrained.map.toFixed(4)}, macro-MAP ${(result.untrained.macroMap ?? NaN).toFixed(4)}, MRR ${(result.untrained.mrr ?? NaN).toFixed(4)}` : '',
    best ? `best epoch ${result.best!.epoch}: MAP ${best.map.toFixed(4)}, macro-MAP ${(best.macroMap ?? NaN).toFixed(4)}, MRR ${(best.mrr ?? NaN).toFixed(4)}` : '',
    `model: ${options.out} (register it: pnpm cbmir models register ${options.out})`,
    result.stoppedBy === 'interrupted' || result.stoppedBy === 'time-budget' ? `continue with the same command and --resume` : '',
  ];
  return { result, summary: lines.filter(Boolean).join('\n') };
}
