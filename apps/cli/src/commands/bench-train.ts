import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { benchmarkTraining, initBackend, resolveEmbedderSpec, type Architecture } from '@cbmir/embedder';
import { findTorchPython, runTorchTrainer, TORCH_INSTALL_HINT, type TorchPythonSearch } from '../torch-trainer.ts';
import { UsageError } from '../usage-error.ts';

export type TrainingEngineName = 'torch' | 'tfjs';

export type TrainingKind = 'siamese' | 'supervised';

export interface TrainBenchRow {
  engine: TrainingEngineName;
  architecture: Architecture;
  inputSize: number;
  kind: TrainingKind;
  /** the TF.js backend that trained ('tensorflow' is tfjs-node or tfjs-node-gpu), or PyTorch's device and threads */
  backend: string;
  /** arithmetic of the forward and backward pass: fp32, or bf16 / fp16 autocast (PyTorch) */
  precision: string;
  /** TF.js: pairs (siamese) or images (supervised) per step; PyTorch: images per step (siamese: every pair among them) */
  batchSize: number;
  steps: number;
  /** images through forward and backward per second: two per siamese pair */
  imagesPerSecond: number;
  msPerStep: number;
  trainableParameters: number;
  /** the loss of the last step (TF.js) */
  loss: number | null;
}

export interface TrainBenchResult {
  /** the TF.js backend, when TF.js was measured */
  backend: string | null;
  rows: TrainBenchRow[];
  /** the networks that could not be measured, and why (e.g. beyond the wasm backend's 4 GB heap) */
  failures: string[];
}

export interface TrainBenchOptions {
  models: Array<{ architecture: Architecture; inputSize: number }>;
  kinds: TrainingKind[];
  batchSize: number;
  steps: number;
  /** default: tfjs; 'auto': PyTorch where a Python with torch is found, and TF.js */
  engines?: TrainingEngineName[] | 'auto';
  /** overrides CBMIR_BACKEND */
  backend?: string | undefined;
  log: (message: string) => void;
}

export const TRAIN_BENCH_USAGE = `  bench train [--engine torch,tfjs] [--models resnet-tiny@64,resnet18@64] [--kinds siamese,supervised] [--batch 8] [--steps 3]
        [--backend B] [--json]
      Training throughput (optimiser steps on synthetic inputs, after warm-up) of each network and kind, on each
      engine side by side (default: PyTorch where found, and TF.js on the chosen backend): images/s, ms/step,
      precision, trainable parameters. --batch is images a step, except TF.js siamese: pairs (two images each).`;

export function parseEngines(value: string): TrainingEngineName[] {
  const engines = value.split(',').map((e) => e.trim());
  for (const engine of engines) {
    if (engine !== 'torch' && engine !== 'tfjs') throw new UsageError(`--engine takes torch and/or tfjs, got "${engine}"`);
  }
  return engines as TrainingEngineName[];
}

export function parseKinds(value: string): TrainingKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  for (const kind of kinds) {
    if (kind !== 'siamese' && kind !== 'supervised') throw new UsageError(`--kinds takes siamese and/or supervised, got "${kind}"`);
  }
  return kinds as TrainingKind[];
}

/** `pnpm bench train`: each engine, network and kind in turn, one freshly built model at a time. */
export async function benchTrain(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const rows: TrainBenchRow[] = [];
  const failures: string[] = [];
  // One search for PyTorch serves both the 'auto' choice and the run.
  const torch = options.engines === 'auto' || options.engines?.includes('torch') ? await findTorchPython() : null;
  const engines: TrainingEngineName[] = options.engines === 'auto' ? (torch?.found ? ['torch', 'tfjs'] : ['tfjs']) : (options.engines ?? ['tfjs']);
  if (engines.includes('torch')) await benchTorch(options, torch!, rows, failures);
  if (!engines.includes('tfjs')) return { backend: null, rows, failures };
  const { name: backend } = await initBackend(options.backend);
  options.log(`TensorFlow.js backend: ${backend}`);
  for (const { architecture, inputSize } of options.models) {
    for (const kind of options.kinds) {
      options.log(`${kind} ${architecture}@${inputSize}: batch ${options.batchSize}, ${options.steps} timed step(s)`);
      try {
        const spec = resolveEmbedderSpec({ architecture, inputSize });
        const measured = await benchmarkTraining(spec, { kind, batchSize: options.batchSize, steps: options.steps });
        rows.push({
          engine: 'tfjs',
          architecture,
          inputSize,
          kind,
          backend,
          precision: 'fp32',
          batchSize: options.batchSize,
          steps: options.steps,
          imagesPerSecond: measured.imagesPerSecond,
          msPerStep: (measured.seconds * 1000) / options.steps,
          trainableParameters: measured.trainableParameters,
          loss: measured.loss,
        });
      } catch (error) {
        const message = (error as Error).message;
        const hint =
          backend === 'wasm' && /memory|out of bounds|allocat/i.test(message)
            ? " (beyond the wasm backend's 4 GB heap: a smaller --batch, or tfjs-node / tfjs-node-gpu)"
            : '';
        failures.push(`${kind} ${architecture}@${inputSize}, batch ${options.batchSize}: ${message}${hint}`);
      }
    }
  }
  return { backend, rows, failures };
}

/** The PyTorch engine's rows: one trainer process measures every network (packages/torch-trainer bench.py). */
async function benchTorch(options: TrainBenchOptions, search: TorchPythonSearch, rows: TrainBenchRow[], failures: string[]): Promise<void> {
  if (!search.found) {
    failures.push(`torch: no Python with PyTorch found (${search.tried.join('; ')}); ${TORCH_INSTALL_HINT}`);
    return;
  }
  options.log(`PyTorch ${search.found.torch} via ${search.found.python}`);
  const workDir = await mkdtemp(join(tmpdir(), 'cbmir-bench-train-'));
  try {
    await runTorchTrainer({
      python: search.found.python,
      command: 'bench',
      workDir,
      resultEvent: 'bench',
      options: {
        models: options.models.map((m) => `${m.architecture}@${m.inputSize}`),
        kinds: options.kinds,
        batch: options.batchSize,
        steps: options.steps,
      },
      onEvent: (event) => {
        if (event.event !== 'bench') return;
        const where = `torch ${String(event.kind)} ${String(event.architecture)}@${String(event.inputSize)}, batch ${options.batchSize}`;
        if (typeof event.error === 'string') {
          failures.push(`${where}: ${event.error}`);
          return;
        }
        options.log(`${where}: ${Number(event.imagesPerSecond).toFixed(1)} img/s`);
        rows.push({
          engine: 'torch',
          architecture: event.architecture as Architecture,
          inputSize: Number(event.inputSize),
          kind: event.kind as TrainingKind,
          backend: String(event.runtime),
          precision: String(event.precision),
          batchSize: options.batchSize,
          steps: options.steps,
          imagesPerSecond: Number(event.imagesPerSecond),
          msPerStep: Number(event.msPerStep),
          trainableParameters: Number(event.parameters),
          loss: null,
        });
      },
    });
  } catch (error) {
    failures.push(`torch: ${(error as Error).message}`);
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

export function formatTrainBench(result: TrainBenchResult): string {
  const header = ['architecture', 'input', 'kind', 'engine', 'backend', 'precision', 'batch', 'images/s', 'ms/step', 'parameters'];
  const lines = result.rows.map((row) => [
    row.architecture,
    `${row.inputSize} px`,
    row.kind,
    row.engine,
    row.backend,
    row.precision,
    String(row.batchSize),
    row.imagesPerSecond.toFixed(2),
    row.msPerStep.toFixed(0),
    row.trainableParameters.toLocaleString('en-US'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 6 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format), ...result.failures.map((f) => `failed: ${f}`)].join('\n');
}
