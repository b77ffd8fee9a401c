import { mkdir, readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import {
  ARCHITECTURES,
  embeddingPart,
  embedWithModel,
  initBackend,
  loadKerasWeights,
  resolveEmbedderSpec,
  runTraining,
  type Architecture,
  type EpochRecord,
  type ModelKind,
  type TrainingItem,
  type TrainingRunProgress,
  type TrainingRunResult,
  type ValidationMetrics,
  writeFileAtomically,
} from '@cbmir/embedder';
import { augmentPreprocessed, TRAINING_PREPROCESSING_VERSIONS, type TrainingPreprocessingVersion } from '@cbmir/imaging';
import type * as tf from '@tensorflow/tfjs';
import { createProgress } from '../progress.ts';
import { findTorchPython, runTorchTrainer, TORCH_INSTALL_HINT, type TorchPython } from '../torch-trainer.ts';
import { describeSplit, prepareTrainingSet, trainingPreprocessing, type TrainingSet } from '../training-set.ts';
import { UsageError } from '../usage-error.ts';

export type TrainingEngine = 'torch' | 'tfjs' | 'auto';

/** Options only the PyTorch engine implements; given with --engine tfjs they are an error, not ignored. */
const TORCH_ONLY = [
  'warm-restart',
  'pair-loss',
  'temperature',
  'balance',
  'regression-weight',
  'weight-decay',
  'select',
  'flips',
  'device',
  'precision',
  'threads',
  'schedule',
] as const;

export interface TrainOptions {
  data: string;
  labels: string;
  engine: TrainingEngine;
  model: ModelKind;
  arch: Architecture;
  imageSize: number;
  /** --preprocessing: for a new run (graham-v4 when not given); a resumed one keeps its checkpoint's */
  preprocessing: TrainingPreprocessingVersion | undefined;
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
  keep: 'best' | 'last';
  out: string;
  resume: boolean;
  name: string | undefined;
  /** TF.js: Keras ResNet-50 ImageNet weights (HDF5, "notop"); PyTorch: a torchvision/timm state dict. */
  init: string | undefined;
  /** PyTorch engine only (see TORCH_ONLY) */
  torch: {
    /** siamese: the paper's contrastive loss, or the supervised-contrastive ranking of the same pairs */
    pairLoss: 'contrastive' | 'supcon';
    temperature: number;
    balance: number;
    regressionWeight: number;
    weightDecay: number;
    select: 'map' | 'macro-map' | 'kappa';
    flips: boolean;
    device: 'auto' | 'cpu' | 'cuda';
    precision: 'auto' | 'bf16' | 'fp16' | 'fp32';
    threads: number | undefined;
    schedule: 'cosine' | 'constant';
    /** with --resume: a new learning-rate cycle from --lr (a second cosine over the new budget or epochs) */
    warmRestart: boolean;
  };
  /** which torch-only options were given (refused with --engine tfjs) */
  torchOptionsGiven: string[];
  dataDir: string;
  backend: string | undefined;
  validate: (embeddings: Float32Array[], items: TrainingItem[]) => ValidationMetrics;
}

export type ParsedTrainOptions = Omit<TrainOptions, 'dataDir' | 'backend' | 'validate'>;

/** Reads and checks `cbmir train` options; every problem is a UsageError (exit 2). */
export function parseTrainOptions(values: Record<string, string | boolean | undefined>): ParsedTrainOptions {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const number = (name: string, fallback: number | undefined, check: (n: number) => boolean, rule: string) => {
    const raw = text(name);
    if (raw === undefined) return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || !check(value)) throw new UsageError(`--${name} must be ${rule}, got "${raw}"`);
    return value;
  };
  const oneOf = <T extends string>(name: string, choices: readonly T[], fallback: T): T => {
    const value = text(name) ?? fallback;
    const rule = choices.length === 2 ? `${choices[0]} or ${choices[1]}` : `one of ${choices.join(', ')}`;
    if (!choices.includes(value as T)) throw new UsageError(`--${name} must be ${rule}, got "${value}"`);
    return value as T;
  };
  const positiveInt = (n: number) => Number.isInteger(n) && n > 0;
  const data = text('data');
  const labels = text('labels');
  const out = text('out');
  if (!data || !labels || !out) throw new UsageError('train needs --data <folder>, --labels <csv> and --out <dir>');
  const model = oneOf('model', ['siamese', 'supervised'] as const, 'siamese');
  const arch = oneOf('arch', ARCHITECTURES, 'resnet50');
  const engine = oneOf('engine', ['torch', 'tfjs', 'auto'] as const, 'auto');
  const init = text('init');
  if (init?.toLowerCase().endsWith('.h5') && arch !== 'resnet50')
    throw new UsageError('--init with Keras .h5 weights loads ResNet-50 ImageNet weights: it needs --arch resnet50');
  const torchOptionsGiven = TORCH_ONLY.filter((name) => values[name] !== undefined);
  if (values['warm-restart'] === true && values.resume !== true)
    throw new UsageError('--warm-restart starts a new learning-rate cycle from a checkpoint: it needs --resume');
  if (engine === 'tfjs' && torchOptionsGiven.length > 0) {
    throw new UsageError(`--${torchOptionsGiven.join(', --')} ${torchOptionsGiven.length > 1 ? 'are' : 'is'} only implemented by --engine torch`);
  }
  return {
    data,
    labels,
    engine,
    out: resolve(out),
    model,
    arch,
    imageSize: number('image-size', 224, (n) => positiveInt(n) && n >= 16 && n <= 1024, 'an integer from 16 to 1024')!,
    preprocessing: text('preprocessing') === undefined ? undefined : oneOf('preprocessing', TRAINING_PREPROCESSING_VERSIONS, 'graham-v4'),
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
    keep: oneOf('keep', ['best', 'last'] as const, 'best'),
    resume: values.resume === true,
    name: text('name'),
    init,
    torch: {
      pairLoss: oneOf('pair-loss', ['contrastive', 'supcon'] as const, 'contrastive'),
      temperature: number('temperature', 0.1, (n) => n > 0 && n <= 10, 'in (0, 10]')!,
      balance: number('balance', 1, (n) => n >= 0 && n <= 1, 'from 0 to 1')!,
      regressionWeight: number('regression-weight', 0, (n) => n >= 0, 'zero or positive')!,
      weightDecay: number('weight-decay', 1e-4, (n) => n >= 0 && n < 1, 'from 0 to 1')!,
      select: oneOf('select', ['map', 'macro-map', 'kappa'] as const, 'map'),
      flips: values.flips === true,
      device: oneOf('device', ['auto', 'cpu', 'cuda'] as const, 'auto'),
      precision: oneOf('precision', ['auto', 'bf16', 'fp16', 'fp32'] as const, 'auto'),
      threads: number('threads', undefined, positiveInt, 'a positive integer'),
      schedule: oneOf('schedule', ['cosine', 'constant'] as const, 'cosine'),
      warmRestart: values['warm-restart'] === true,
    },
    torchOptionsGiven,
  };
}

const formatMs = (ms: number) => {
  const s = Math.round(ms / 1000);
  return s >= 3600
    ? `${Math.floor(s / 3600)}h${String(Math.floor((s % 3600) / 60)).padStart(2, '0')}m`
    : `${Math.floor(s / 60)}m${String(s % 60).padStart(2, '0')}s`;
};

const metricsText = (v: ValidationMetrics) =>
  `MAP ${v.map.toFixed(4)}, macro-MAP ${(v.macroMap ?? NaN).toFixed(4)}, MRR ${(v.mrr ?? NaN).toFixed(4)}` +
  (typeof v.voteKappa === 'number' ? `, 10-NN vote kappa ${v.voteKappa.toFixed(3)}` : '');

/**
 * Which engine trains: --engine torch or tfjs as asked; auto takes PyTorch where a Python with torch is
 * found (30-45x faster than TF.js on wasm) and says why when it does not.
 */
export async function chooseEngine(
  options: ParsedTrainOptions,
  log: (message: string) => void,
): Promise<{ engine: 'torch'; python: TorchPython } | { engine: 'tfjs' }> {
  const kerasInit = options.init?.toLowerCase().endsWith('.h5') ?? false;
  if (options.engine === 'tfjs') return { engine: 'tfjs' };
  if (options.engine === 'torch' && kerasInit)
    throw new UsageError(`--init ${options.init} is Keras HDF5 weights: they need --engine tfjs (PyTorch takes a torchvision/timm state dict, .pth)`);
  if (options.engine === 'auto' && kerasInit) {
    log('training engine: TF.js, because --init names Keras HDF5 weights');
    return { engine: 'tfjs' };
  }
  const search = await findTorchPython();
  if (search.found) {
    const { python, torch, torchvision } = search.found;
    log(`training engine: PyTorch ${torch} (torchvision ${torchvision}) via ${python}${options.engine === 'auto' ? ' (auto: PyTorch found)' : ''}`);
    return { engine: 'torch', python: search.found };
  }
  const tried = search.tried.join('; ');
  if (options.engine === 'torch') throw new UsageError(`--engine torch: no Python with PyTorch found (${tried}). To use it, ${TORCH_INSTALL_HINT}`);
  if (options.torchOptionsGiven.length > 0) {
    throw new UsageError(
      `--${options.torchOptionsGiven.join(', --')} need the PyTorch engine, and no Python with PyTorch was found (${tried}). ${TORCH_INSTALL_HINT}`,
    );
  }
  log(`training engine: TF.js (${tried}); for 30-45x faster training ${TORCH_INSTALL_HINT}`);
  return { engine: 'tfjs' };
}

/** The progress bar and log lines both engines share. */
function trainingDisplay(options: ParsedTrainOptions) {
  let bar: ReturnType<typeof createProgress> | null = null;
  return {
    progress(p: TrainingRunProgress) {
      bar ??= createProgress(`training ${options.model} ${options.arch}@${options.imageSize}px`, p.epochs * p.stepsPerEpoch, 'steps');
      bar.update(
        (p.epoch - 1) * p.stepsPerEpoch + p.step,
        `epoch ${p.epoch}/${p.epochs} step ${p.step}/${p.stepsPerEpoch} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s ETA ${formatMs(p.etaMs)}`,
      );
    },
    epoch(record: EpochRecord) {
      const v = record.validation;
      console.error(
        `\nepoch ${record.epoch}: mean loss ${record.meanLoss.toFixed(4)}${v ? `, validation ${metricsText(v)}` : ''} (${formatMs(record.elapsedMs)})`,
      );
    },
    stop: () => bar?.stop(),
  };
}

/**
 * `cbmir train`: preprocess the labelled images once (cached), split by patient, train with augmentation
 * on PyTorch or TF.js, validate retrieval on the held-out patients every epoch, keep the best model in --out.
 */
export async function train(options: TrainOptions, signal: AbortSignal): Promise<{ result: TrainingRunResult; summary: string }> {
  const log = (message: string) => console.error(message);
  const choice = await chooseEngine(options, log);
  const set = await prepareTrainingSet({
    data: options.data,
    labels: options.labels,
    dataDir: options.dataDir,
    preprocessing: await trainingPreprocessing(options),
    validationFraction: options.validationFraction,
    seed: options.seed,
  });
  log(describeSplit(set));
  const name = options.name ?? `${options.model}-${options.arch}-${options.imageSize}px-${set.dataFingerprint.slice(0, 6)}-seed${options.seed}`;
  const info = {
    name,
    dataFingerprint: set.dataFingerprint,
    trainingData: { images: set.train.length, validationImages: set.validation.length, folder: resolve(options.data) },
    init: options.init ?? null,
  };
  const display = trainingDisplay(options);
  const started = Date.now();
  let result: TrainingRunResult;
  let engineName: string;
  try {
    if (choice.engine === 'torch') {
      ({ result, engineName } = await trainWithTorch(options, choice.python, set, info, display, signal));
    } else {
      ({ result, engineName } = await trainWithTfjs(options, set, info, display, signal));
    }
  } finally {
    display.stop();
  }

  const best = result.best?.validation;
  const lines = [
    `stopped: ${result.stoppedBy} after ${result.epochsDone} epoch(s) in ${formatMs(Date.now() - started)}, ${result.imagesPerSecond.toFixed(1)} training img/s on ${engineName}`,
    result.untrained ? `validation before training: ${metricsText(result.untrained)}` : '',
    best ? `${options.keep === 'last' ? 'last' : 'best'} epoch ${result.best!.epoch}: ${metricsText(best)}` : '',
    `model: ${options.out} (register it: pnpm cbmir models register ${options.out})`,
    result.stoppedBy === 'interrupted' || result.stoppedBy === 'time-budget' ? `continue with the same command and --resume` : '',
  ];
  return { result, summary: lines.filter(Boolean).join('\n') };
}

type Display = ReturnType<typeof trainingDisplay>;

async function trainWithTfjs(
  options: TrainOptions,
  set: TrainingSet,
  info: Record<string, unknown>,
  display: Display,
  signal: AbortSignal,
): Promise<{ result: TrainingRunResult; engineName: string }> {
  if (options.init && !options.init.toLowerCase().endsWith('.h5'))
    throw new UsageError(`--init ${options.init}: the TF.js engine loads Keras ResNet-50 weights (.h5); a PyTorch state dict needs --engine torch`);
  const backend = await initBackend(options.backend);
  console.error(`TensorFlow.js backend: ${backend.name}`);
  const pixels = new Map<string, Float32Array>();
  for (const item of [...set.train, ...set.validation]) {
    const bytes = await readFile(item.cacheFile);
    pixels.set(item.id, new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4));
  }
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
    const embeddings = await embedWithModel(
      embedder,
      set.validation.map((item) => pixels.get(item.id)!),
      32,
    );
    return options.validate(embeddings, set.validation);
  };
  const result = await runTraining({
    kind: options.model,
    spec,
    items: set.train,
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
    keep: options.keep,
    validate,
    signal,
    init: options.init
      ? async (model) => {
          const report = await loadKerasWeights(model, options.init!);
          console.error(
            `--init: loaded ${report.loaded.length} layers from ${options.init}; not in the file (trained from scratch): ${report.missing.join(', ') || 'none'}`,
          );
        }
      : undefined,
    onProgress: (p) => display.progress(p),
    onEpoch: (record) => display.epoch(record),
    info: { ...info, preprocessing: set.preprocessing, backend: backend.name },
  });
  return { result, engineName: backend.name };
}

async function trainWithTorch(
  options: TrainOptions,
  python: TorchPython,
  set: TrainingSet,
  info: Record<string, unknown>,
  display: Display,
  signal: AbortSignal,
): Promise<{ result: TrainingRunResult; engineName: string }> {
  const workDir = join(options.out, 'checkpoint');
  const manifest = join(workDir, 'training-set.json');
  await mkdir(workDir, { recursive: true });
  await writeFileAtomically(manifest, JSON.stringify(set));
  const t = options.torch;
  let engineName = 'PyTorch';
  const history: EpochRecord[] = [];
  const done = await runTorchTrainer({
    python: python.python,
    command: 'train',
    workDir,
    resultEvent: 'done',
    signal,
    options: {
      manifest,
      out: options.out,
      kind: options.model,
      arch: options.arch,
      embedding_dim: options.embeddingDim,
      epochs: options.epochs,
      batch: options.batch,
      margin: options.margin,
      pair_loss: t.pairLoss,
      temperature: t.temperature,
      lr: options.lr,
      weight_decay: t.weightDecay,
      seed: options.seed,
      positive_fraction: options.positiveFraction,
      steps_per_epoch: options.stepsPerEpoch ?? null,
      time_budget_minutes: options.timeBudgetMinutes ?? null,
      patience: options.patience ?? null,
      resume: options.resume,
      init: options.init ? resolve(options.init) : null,
      balance: t.balance,
      regression_weight: t.regressionWeight,
      select: t.select,
      keep: options.keep,
      flips: t.flips,
      schedule: t.schedule,
      warm_restart: t.warmRestart,
      device: t.device,
      precision: t.precision,
      threads: t.threads ?? null,
      info,
    },
    onEvent: (event) => {
      if (event.event === 'log') console.error(String(event.message));
      else if (event.event === 'start') {
        engineName = `PyTorch ${python.torch} (${String(event.runtime)})`;
        console.error(`PyTorch trainer: ${String(event.runtime)}`);
      } else if (event.event === 'step') display.progress(event as unknown as TrainingRunProgress);
      else if (event.event === 'epoch') {
        const record = event as unknown as EpochRecord;
        history.push(record);
        display.epoch(record);
      }
    },
  });
  const result: TrainingRunResult = {
    stoppedBy: done.stoppedBy as TrainingRunResult['stoppedBy'],
    epochsDone: Number(done.epochsDone),
    best: (done.best as EpochRecord | null) ?? null,
    untrained: (done.untrained as ValidationMetrics | null) ?? null,
    history,
    imagesPerSecond: Number(done.imagesPerSecond),
  };
  return { result, engineName };
}
