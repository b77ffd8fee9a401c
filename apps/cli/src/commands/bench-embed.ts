import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ARCHITECTURES,
  benchmarkEmbed,
  createEmbedder,
  loadEmbedder,
  loadOnnxEmbedder,
  loadServingEmbedder,
  onnxRuntimeInstalled,
  readModelMetadata,
  weightsFormatOf,
  writeOnnxModel,
  type Architecture,
  type Embedder,
  type InferenceEmbedder,
} from '@cbmir/embedder';
import { UsageError } from '../usage-error.ts';

export interface EmbedBenchRow {
  architecture: Architecture;
  inputSize: number;
  /** 'tfjs' or 'onnxruntime' */
  runtime: 'tfjs' | 'onnxruntime';
  /** the TF.js backend ('wasm', 'tensorflow', ...) or 'onnxruntime-cpu' / 'onnxruntime-cuda' */
  engine: string;
  batchSize: number;
  imagesPerSecond: number;
  msPerImage: number;
}

export interface EmbedBenchResult {
  rows: EmbedBenchRow[];
  /** ONNX Runtime images/s over TF.js images/s, per model and batch size */
  speedups: Array<{ architecture: Architecture; inputSize: number; batchSize: number; speedup: number }>;
  notes: string[];
}

export interface EmbedBenchOptions {
  /** seeded networks to build, e.g. resnet50@224 */
  models: Array<{ architecture: Architecture; inputSize: number }>;
  /** a saved model directory to benchmark instead */
  modelDir?: string | undefined;
  batchSizes: number[];
  /** timed batches per measurement (after one warm-up batch) */
  batches: number;
  log: (message: string) => void;
}

export const EMBED_BENCH_USAGE = `  bench embed [--models resnet50@224,resnet-tiny@64] [--model-dir <dir>] [--batch-sizes 1,16] [--batches 3] [--json]
      Embedding throughput of TF.js and ONNX Runtime side by side on the same network (seeded weights, or the
      saved model in --model-dir), at each batch size: images/s, ms/image, engine. Synthetic inputs.`;

/** Parses "resnet50@224,resnet-tiny@64". */
export function parseModelList(value: string): Array<{ architecture: Architecture; inputSize: number }> {
  return value.split(',').map((item) => {
    const [architecture, size] = item.trim().split('@');
    if (!ARCHITECTURES.includes(architecture as Architecture) || !/^\d+$/.test(size ?? '')) {
      throw new UsageError(`--models takes architecture@size items (${ARCHITECTURES.join(', ')}), got "${item}"`);
    }
    return { architecture: architecture as Architecture, inputSize: Number(size) };
  });
}

/**
 * `pnpm bench embed`: for each network, the TF.js embedder (the active TF.js backend) and its ONNX export
 * under ONNX Runtime, timed on the same synthetic inputs at each batch size.
 */
export async function benchEmbed(options: EmbedBenchOptions): Promise<EmbedBenchResult> {
  const rows: EmbedBenchRow[] = [];
  const notes: string[] = [];
  const workDir = await mkdtemp(join(tmpdir(), 'cbmir-bench-embed-'));
  try {
    // A PyTorch model directory has ONNX weights only: ONNX Runtime alone is measured.
    const onnxOnly = options.modelDir ? weightsFormatOf(await readModelMetadata(options.modelDir)) === 'onnx' : false;
    if (onnxOnly) notes.push(`${options.modelDir} holds ONNX weights only (PyTorch engine): no TF.js row`);
    const sources: Array<() => Promise<Embedder | null>> = options.modelDir
      ? [async () => (onnxOnly ? null : loadEmbedder(options.modelDir!))]
      : options.models.map((m) => () => createEmbedder({ architecture: m.architecture, inputSize: m.inputSize }));
    for (const [index, open] of sources.entries()) {
      const tfjs = await open();
      let onnx: InferenceEmbedder | undefined = onnxOnly ? await loadServingEmbedder(options.modelDir!, { engine: 'onnxruntime' }) : undefined;
      const { architecture, inputSize } = (tfjs ?? onnx)!.spec;
      try {
        if (tfjs && onnxRuntimeInstalled()) {
          options.log(`${architecture}@${inputSize}: exporting to ONNX`);
          const { file } = await writeOnnxModel(join(workDir, String(index)), tfjs);
          onnx = await loadOnnxEmbedder(file, tfjs.spec);
        } else if (!onnxOnly) {
          notes.push('onnxruntime-node is not installed: TF.js only');
        }
        for (const batchSize of options.batchSizes) {
          for (const embedder of [tfjs, onnx]) {
            if (!embedder) continue;
            options.log(`${architecture}@${inputSize}: ${embedder.engine}, batch ${batchSize}`);
            // Small batches are quick: time at least 8 images for a steadier number.
            const batches = Math.max(options.batches, Math.ceil(8 / batchSize));
            const { imagesPerSecond } = await benchmarkEmbed(embedder, { batchSize, batches });
            rows.push({
              architecture,
              inputSize,
              runtime: embedder === onnx ? 'onnxruntime' : 'tfjs',
              engine: embedder.engine,
              batchSize,
              imagesPerSecond,
              msPerImage: 1000 / imagesPerSecond,
            });
          }
        }
      } finally {
        tfjs?.dispose();
        onnx?.dispose();
      }
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
  const speedups = rows.flatMap((row) => {
    if (row.runtime !== 'onnxruntime') return [];
    const base = rows.find(
      (r) => r.runtime === 'tfjs' && r.architecture === row.architecture && r.inputSize === row.inputSize && r.batchSize === row.batchSize,
    );
    return base
      ? [{ architecture: row.architecture, inputSize: row.inputSize, batchSize: row.batchSize, speedup: row.imagesPerSecond / base.imagesPerSecond }]
      : [];
  });
  return { rows, speedups, notes };
}

export function formatEmbedBench(result: EmbedBenchResult): string {
  const header = ['architecture', 'input', 'engine', 'batch', 'images/s', 'ms/image', 'vs TF.js'];
  const lines = result.rows.map((row) => {
    const speedup = result.speedups.find(
      (s) => row.runtime === 'onnxruntime' && s.architecture === row.architecture && s.inputSize === row.inputSize && s.batchSize === row.batchSize,
    );
    return [
      row.architecture,
      `${row.inputSize} px`,
      row.runtime === 'tfjs' ? `tfjs-${row.engine}` : row.engine,
      String(row.batchSize),
      row.imagesPerSecond.toFixed(2),
      row.msPerImage.toFixed(1),
      speedup ? `${speedup.speedup.toFixed(1)}x` : '',
    ];
  });
  const widths = header.map((h, i) => Math.max(h.length, ...lines.map((l) => l[i]!.length)));
  const format = (cells: string[]) =>
    cells
      .map((c, i) => (i >= 3 ? c.padStart(widths[i]!) : c.padEnd(widths[i]!)))
      .join('  ')
      .trimEnd();
  return [format(header), ...lines.map(format), ...result.notes.map((n) => `note: ${n}`)].join('\n');
}
