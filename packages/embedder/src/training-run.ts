import type * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { mkdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { createRandom } from '@cbmir/seeded-random';
import { writeFileAtomically } from './atomic-file.ts';
import { buildEmbeddingModel } from './embedding-model.ts';
import { loadModelDir, MODEL_FILE_NAMES, saveModelDir } from './model-files.ts';
import type { EmbedderSpec } from './model-spec.ts';
import { loadOptimizerState, saveOptimizerState } from './optimizer-state.ts';
import { createPairSampler, type Pair } from './pair-sampler.ts';
import { buildClassifierModel, createSupervisedTrainer } from './supervised-model.ts';
import { createSiameseTrainer } from './train-step.ts';

export type ModelKind = 'siamese' | 'supervised';

export interface TrainingItem {
  id: string;
  grade: number;
  patientId: string;
}

/** Validation metrics; `map` decides which epoch is best. */
export interface ValidationMetrics {
  map: number;
  [metric: string]: number;
}

export interface TrainingRunProgress {
  epoch: number;
  epochs: number;
  step: number;
  stepsPerEpoch: number;
  loss: number;
  imagesPerSecond: number;
  /** estimated time left for the whole run */
  etaMs: number;
}

export interface EpochRecord {
  epoch: number;
  meanLoss: number;
  validation: ValidationMetrics | null;
  elapsedMs: number;
}

export interface TrainingRunOptions {
  kind: ModelKind;
  spec: EmbedderSpec;
  items: readonly TrainingItem[];
  /** The preprocessed image (HWC floats at spec.inputSize), augmented with `augmentationSeed`. */
  loadImage(id: string, augmentationSeed: number): Float32Array | Promise<Float32Array>;
  epochs: number;
  batchSize: number;
  /** optimiser steps per epoch; default: enough to show each training image about once */
  stepsPerEpoch?: number;
  learningRate: number;
  margin: number;
  positiveFraction: number;
  seed: number;
  /** The model is written here (the best epoch so far); checkpoint/ holds the last epoch and the run state. */
  outDir: string;
  resume: boolean;
  /**
   * Runs on a freshly built model (not on resume), before the epoch-0 validation: e.g. ImageNet
   * initialisation with loadKerasWeights(model, file).
   */
  init?(model: tf.LayersModel): Promise<unknown>;
  /** Stop after the epoch in which this much time has passed. */
  timeBudgetMs?: number;
  /** Stop when validation MAP has not improved for this many epochs. */
  patience?: number;
  /** Retrieval quality of the model (its embedding layer) on held-out patients; higher map is better. */
  validate?(model: tf.LayersModel): Promise<ValidationMetrics>;
  /**
   * Which epoch outDir holds: 'best' (default), the best validation MAP so far; 'last', the latest epoch,
   * validation then only reported (for validation sets too small to choose by, like the demo's).
   */
  keep?: 'best' | 'last';
  onProgress?(progress: TrainingRunProgress): void;
  onEpoch?(record: EpochRecord): void;
  /** Ctrl-C: stops after the current step and leaves a checkpoint. */
  signal?: AbortSignal;
  /** Kept in the saved model's metadata (preprocessing, data fingerprint, name, ...). */
  info?: Record<string, unknown>;
}

export interface TrainingRunResult {
  stoppedBy: 'completed' | 'early-stopping' | 'time-budget' | 'interrupted';
  epochsDone: number;
  best: EpochRecord | null;
  /** validation metrics of the network before any training (epoch 0), for comparison */
  untrained: ValidationMetrics | null;
  history: EpochRecord[];
  imagesPerSecond: number;
}

interface RunState {
  kind: ModelKind;
  spec: EmbedderSpec;
  epoch: number;
  history: EpochRecord[];
  best: EpochRecord | null;
  untrained: ValidationMetrics | null;
}

const CHECKPOINT = 'checkpoint';
const STATE_FILE = 'training-state.json';

/**
 * Writes a model into `dir` through a temporary sibling and moves its files in one by one (metadata last),
 * so a kill mid-write never leaves a half-written file, and whatever else `dir` holds (checkpoint/) stays.
 */
async function saveAtomic(dir: string, model: tf.LayersModel, spec: EmbedderSpec, info: Record<string, unknown>): Promise<void> {
  const partial = `${dir}.partial`;
  await rm(partial, { recursive: true, force: true });
  await saveModelDir(partial, model, spec, info);
  await mkdir(dir, { recursive: true });
  for (const file of [MODEL_FILE_NAMES.weights, MODEL_FILE_NAMES.topology, MODEL_FILE_NAMES.metadata]) {
    await rename(path.join(partial, file), path.join(dir, file));
  }
  await rm(partial, { recursive: true, force: true });
}

/**
 * Epochs of Siamese (contrastive, pairs of same/different grade, never one patient twice) or supervised
 * (cross-entropy on grades, grade-balanced) training, with a validation pass, a checkpoint and the
 * best-so-far model written after every epoch, early stopping, a time budget, resume and Ctrl-C.
 */
export async function runTraining(options: TrainingRunOptions): Promise<TrainingRunResult> {
  const checkpointDir = path.join(options.outDir, CHECKPOINT);
  const statePath = path.join(checkpointDir, STATE_FILE);
  await mkdir(options.outDir, { recursive: true });

  let model: tf.LayersModel;
  let state: RunState;
  const resuming = options.resume && existsSync(statePath);
  if (resuming) {
    state = JSON.parse(await readFile(statePath, 'utf8')) as RunState;
    if (state.kind !== options.kind) throw new Error(`the checkpoint in ${checkpointDir} is a ${state.kind} model, not ${options.kind}`);
    ({ model } = await loadModelDir(path.join(checkpointDir, 'model')));
  } else {
    if (options.resume) throw new Error(`nothing to resume: no ${STATE_FILE} in ${checkpointDir}`);
    model = options.kind === 'siamese' ? buildEmbeddingModel(options.spec) : buildClassifierModel(options.spec);
    try {
      await options.init?.(model);
    } catch (error) {
      model.dispose();
      throw error;
    }
    state = { kind: options.kind, spec: options.spec, epoch: 0, history: [], best: null, untrained: null };
    if (options.validate) state.untrained = await options.validate(model);
  }
  const spec = state.spec;
  const stepsPerEpoch = options.stepsPerEpoch ?? Math.max(1, Math.ceil(options.items.length / options.batchSize));
  const imagesPerStep = options.kind === 'siamese' ? 2 * options.batchSize : options.batchSize;
  const info = (metrics: Record<string, unknown>) => ({
    ...options.info,
    kind: options.kind,
    trained: true,
    metrics,
    training: {
      epochs: state.epoch,
      batchSize: options.batchSize,
      learningRate: options.learningRate,
      margin: options.kind === 'siamese' ? options.margin : undefined,
      positiveFraction: options.kind === 'siamese' ? options.positiveFraction : undefined,
      seed: options.seed,
      history: state.history,
    },
  });

  const siameseTrainer = options.kind === 'siamese' ? createSiameseTrainer(model, { learningRate: options.learningRate, margin: options.margin }) : null;
  const supervisedTrainer = options.kind === 'supervised' ? createSupervisedTrainer(model, { learningRate: options.learningRate }) : null;
  const optimizer = (siameseTrainer ?? supervisedTrainer)!.optimizer;
  // Adam's moments and step count continue from the checkpoint (absent in checkpoints of older releases).
  if (resuming) await loadOptimizerState(checkpointDir, optimizer);
  const saveCheckpoint = async (metrics: Record<string, unknown>) => {
    await saveAtomic(path.join(checkpointDir, 'model'), model, spec, info(metrics));
    await saveOptimizerState(checkpointDir, optimizer);
    await writeFileAtomically(statePath, JSON.stringify(state, null, 2));
  };
  const started = performance.now();
  let stepsRun = 0;
  let stoppedBy: TrainingRunResult['stoppedBy'] = 'completed';

  try {
    while (state.epoch < options.epochs) {
      const epoch = state.epoch + 1;
      // Each epoch draws from its own seeded stream, so a resumed run does not replay earlier pairs.
      const random = createRandom(options.seed * 1000 + epoch);
      const sampler = siameseTrainer
        ? createPairSampler(
            options.items.map((i) => ({ id: i.id, label: i.grade, patientId: i.patientId })),
            {
              seed: options.seed * 1000 + epoch,
              positiveFraction: options.positiveFraction,
            },
          )
        : null;
      const byGrade = new Map<number, TrainingItem[]>();
      for (const item of options.items) byGrade.set(item.grade, [...(byGrade.get(item.grade) ?? []), item]);
      const grades = [...byGrade.keys()];
      const epochStarted = performance.now();
      const losses: number[] = [];

      for (let step = 1; step <= stepsPerEpoch; step++) {
        if (options.signal?.aborted) {
          stoppedBy = 'interrupted';
          break;
        }
        const load = (id: string) => Promise.resolve(options.loadImage(id, Math.floor(random.next() * 2 ** 31)));
        let loss: number;
        if (siameseTrainer && sampler) {
          const pairs: Pair[] = sampler.batch(options.batchSize);
          const [a, b] = await Promise.all([Promise.all(pairs.map((p) => load(p.a))), Promise.all(pairs.map((p) => load(p.b)))]);
          loss = await siameseTrainer.step({ a, b, same: pairs.map((p) => p.same) });
        } else {
          // Grade-balanced: draw a grade uniformly, then an image of it (minorities oversampled, augmented anew).
          const picks = Array.from({ length: options.batchSize }, () => {
            const pool = byGrade.get(grades[Math.floor(random.next() * grades.length)]!)!;
            return pool[Math.floor(random.next() * pool.length)]!;
          });
          loss = await supervisedTrainer!.step(
            await Promise.all(picks.map((p) => load(p.id))),
            picks.map((p) => p.grade),
          );
        }
        if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at epoch ${epoch}, step ${step}`);
        losses.push(loss);
        stepsRun++;
        const elapsed = performance.now() - started;
        const stepsLeft = (options.epochs - epoch) * stepsPerEpoch + (stepsPerEpoch - step);
        options.onProgress?.({
          epoch,
          epochs: options.epochs,
          step,
          stepsPerEpoch,
          loss,
          imagesPerSecond: (stepsRun * imagesPerStep) / (elapsed / 1000),
          etaMs: (elapsed / stepsRun) * stepsLeft,
        });
      }

      if (stoppedBy === 'interrupted') break;
      const validation = options.validate ? await options.validate(model) : null;
      const record: EpochRecord = {
        epoch,
        meanLoss: losses.reduce((a, b) => a + b, 0) / Math.max(1, losses.length),
        validation,
        elapsedMs: performance.now() - epochStarted,
      };
      state.epoch = epoch;
      state.history.push(record);
      const improved = options.keep === 'last' || !state.best || !validation || validation.map > (state.best.validation?.map ?? -Infinity);
      if (improved) {
        state.best = record;
        await saveAtomic(options.outDir, model, spec, info({ validation, untrainedValidation: state.untrained, bestEpoch: epoch }));
      }
      await saveCheckpoint({ validation });
      options.onEpoch?.(record);

      if (epoch >= options.epochs) break;
      if (options.patience !== undefined && state.best && epoch - state.best.epoch >= options.patience) {
        stoppedBy = 'early-stopping';
        break;
      }
      if (options.timeBudgetMs !== undefined && performance.now() - started >= options.timeBudgetMs) {
        stoppedBy = 'time-budget';
        break;
      }
    }

    if (stoppedBy === 'interrupted') {
      // Keep what the interrupted epoch learnt as the checkpoint; the best model stays as validated.
      await saveCheckpoint({ interruptedInEpoch: state.epoch + 1 });
      if (!state.best) await saveAtomic(options.outDir, model, spec, info({ validation: null, untrainedValidation: state.untrained }));
    }
  } finally {
    siameseTrainer?.dispose();
    supervisedTrainer?.dispose();
    model.dispose();
  }

  const elapsed = performance.now() - started;
  return {
    stoppedBy,
    epochsDone: state.epoch,
    best: state.best,
    untrained: state.untrained,
    history: state.history,
    imagesPerSecond: stepsRun ? (stepsRun * imagesPerStep) / (elapsed / 1000) : 0,
  };
}
