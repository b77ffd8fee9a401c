import { benchmarkTraining, initBackend, resolveEmbedderSpec, type Architecture } from '@cbmir/embedder';
import { UsageError } from '../usage-error.ts';

export type TrainingKind = 'siamese' | 'supervised';

export interface TrainBenchRow {
  architecture: Architecture;
  inputSize: number;
  kind: TrainingKind;
  /** the TF.js backend that trained ('tensorflow' is tfjs-node or tfjs-node-gpu) */
  backend: string;
  /** pairs (siamese) or images (supervised) per step */
  batchSize: number;
  steps: number;
  /** images through forward and backward per second: two per siamese pair */
  imagesPerSecond: number;
  msPerStep: number;
  trainableParameters: number;
  loss: number;
}

export interface TrainBenchResult {
  backend: string;
  rows: TrainBenchRow[];
  /** the networks that could not be measured, and why (e.g. beyond the wasm backend's 4 GB heap) */
  failures: string[];
}

export interface TrainBenchOptions {
  models: Array<{ architecture: Architecture; inputSize: number }>;
  kinds: TrainingKind[];
  batchSize: number;
  steps: number;
  /** overrides CBMIR_BACKEND */
  backend?: string | undefined;
  log: (message: string) => void;
}

export const TRAIN_BENCH_USAGE = `  bench train [--models resnet-tiny@64,resnet18@64] [--kinds siamese,supervised] [--batch 8] [--steps 3] [--backend B] [--json]
      Training throughput (Adam steps on synthetic inputs, after one warm-up step) of each network and kind on
      the chosen TF.js backend: images/s, ms/step, trainable parameters. --batch is pairs a step for siamese
      (two images each), images a step for supervised.`;

export function parseKinds(value: string): TrainingKind[] {
  const kinds = value.split(',').map((k) => k.trim());
  for (const kind of kinds) {
    if (kind !== 'siamese' && kind !== 'supervised') throw new UsageError(`--kinds takes siamese and/or supervised, got "${kind}"`);
  }
  return kinds as TrainingKind[];
}

/** `pnpm bench train`: each network and kind in turn, one freshly built model at a time. */
export async function benchTrain(options: TrainBenchOptions): Promise<TrainBenchResult> {
  const { name: backend } = await initBackend(options.backend);
  options.log(`TensorFlow.js backend: ${backend}`);
  const rows: TrainBenchRow[] = [];
  const failures: string[] = [];
  for (const { architecture, inputSize } of options.models) {
    for (const kind of options.kinds) {
      options.log(`${kind} ${architecture}@${inputSize}: batch ${options.batchSize}, ${options.steps} timed step(s)`);
      try {
        const spec = resolveEmbedderSpec({ architecture, inputSize });
        const measured = await benchmarkTraining(spec, { kind, batchSize: options.batchSize, steps: options.steps });
        rows.push({
          architecture,
          inputSize,
          kind,
          backend,
          batchSize: options.batchSize,
          steps: options.steps,
          imagesPerSecond: measured.imagesPerSecond,
          msPerStep: (measured.seconds * 1000) / options.steps,
          trainableParameters: measured.trainableParameters,
          loss: measured.loss,
        });
      } catch (error) {
        const message = (error as Error).message;
        const hint = backend === 'wasm' && /memory|out of bounds|allocat/i.test(message) ? ' (beyond the wasm backend\'s 4 GB heap: a smaller --batch, or tfjs-node / tfjs-node-gpu)' : '';
        failures.push(`${kind} ${architecture}@${inputSize}, batch ${options.batchSize}: ${message}${hint}`);
      }
    }
  }
  return { backend, rows, failures };
}

export function formatTrainBench(result: TrainBenchResult): string {
  const header = ['architecture', 'input', 'kind', 'backend', 'batch', 'images/s', 'ms/step', 'parameters'];
  const lines = result.rows.map((row) => [
    row.architecture,
    `${row.inputSize} px`,
    row.kind,
    row.backend,
    String(row.batchSize),
    row.imagesPerSecond.toFixed(2),
    row.msPerStep.toFixed(0),
    row.trainableParameters.toLocaleString('en-US'),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => (i >= 4 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [format(header), ...lines.map(format), ...result.failures.map((f) => `failed: ${f}`)].join('\n');
}
