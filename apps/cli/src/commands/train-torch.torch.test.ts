import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { embeddingDifference, loadServingEmbedder, readModelMetadata } from '@cbmir/embedder';
import { DEFAULT_PREPROCESSING } from '@cbmir/imaging';
import { validationMetrics } from '@cbmir/retrieval';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeLabelledSyntheticFolder } from '../../test/labelled-synthetic-folder.ts';
import { runCbmir, type CliRun } from '../../test/run-cbmir.ts';
import { findTorchPython, runTorchTrainer, TorchTrainerError } from '../torch-trainer.ts';
import { UsageError } from '../usage-error.ts';
import { benchTrain } from './bench-train.ts';
import { chooseEngine, parseTrainOptions, train } from './train.ts';

// The PyTorch engine end to end, as `cbmir train --engine torch` runs it: a Python with torch is needed
// (scripts/run-tests.mjs runs this tier only where one is found, and under CI requires it).
const root = mkdtempSync(join(tmpdir(), 'cbmir-train-torch-'));
let data: string;
let labels: string;

beforeAll(async () => {
  // Half of the training folder is symbolic links into another folder.
  ({ data, labels } = await writeLabelledSyntheticFolder(root, { count: 30, seed: 500, linkFrom: join(root, 'originals') }));
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const options = (out: string, extra: Record<string, string | boolean> = {}) => ({
  ...parseTrainOptions({
    data,
    labels,
    out,
    engine: 'torch',
    arch: 'resnet-tiny',
    'image-size': '32',
    'embedding-dim': '8',
    epochs: '2',
    'steps-per-epoch': '2',
    batch: '6',
    'validation-fraction': '0.3',
    precision: 'fp32',
    ...extra,
  }),
  dataDir: join(root, 'data'),
  backend: undefined,
  validate: validationMetrics,
});

/** The `cbmir` command itself, on an embedded database of its own. */
function cbmirCli(args: string[]): Promise<CliRun> {
  return runCbmir(args, { ...process.env, CBMIR_DATA_DIR: join(root, 'cli-data'), CBMIR_DEFAULT_MODEL: 'untrained', CBMIR_DEMO_IMAGES: '0', DATABASE_URL: '' });
}

describe('cbmir train --engine torch', () => {
  it('trains on linked images, writes an ONNX-only model that ONNX Runtime serves like PyTorch computes it', async () => {
    const out = join(root, 'supervised');
    const { result, summary } = await train(options(out, { model: 'supervised', keep: 'last', 'regression-weight': '0.5' }), new AbortController().signal);
    expect(result.stoppedBy).toBe('completed');
    expect(result.epochsDone).toBe(2);
    expect(result.history.map((epoch) => epoch.epoch)).toEqual([1, 2]);
    expect(summary).toMatch(/on PyTorch \S+ \(CPU, \d+ threads?, fp32\)/);
    expect(readdirSync(out).sort()).toEqual(['checkpoint', 'metadata.json', 'model.onnx']);
    const metadata = await readModelMetadata(out);
    expect(metadata).toMatchObject({
      weightsFormat: 'onnx',
      trainer: { engine: 'torch' },
      spec: { architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 8 },
    });
    expect(metadata.info).toMatchObject({ kind: 'supervised', trained: true, preprocessing: { inputSize: 32, version: DEFAULT_PREPROCESSING.version } });
    const manifest = JSON.parse(readFileSync(join(out, 'checkpoint', 'training-set.json'), 'utf8')) as {
      train: unknown[];
      validation: { cacheFile: string }[];
    };
    expect(manifest.train.length + manifest.validation.length).toBe(30); // the linked half is there too

    // Parity: the same preprocessed images through PyTorch (the last checkpoint = the kept model) and ONNX Runtime.
    const files = manifest.validation.map((item) => item.cacheFile);
    const reference = await runTorchTrainer({
      python: (await findTorchPython()).found!.python,
      command: 'embed',
      workDir: join(root, 'embed'),
      resultEvent: 'embeddings',
      options: { checkpoint: join(out, 'checkpoint', 'training-state.pt'), files, size: 32, embedding_dim: 8 },
      onEvent: () => {},
    });
    const torchVectors = (reference.vectors as number[][]).map((v) => Float32Array.from(v));
    const served = await loadServingEmbedder(out, { engine: 'onnxruntime' });
    try {
      expect(served.engine).toMatch(/^onnxruntime/);
      const inputs = files.map((file) => {
        const bytes = readFileSync(file);
        return new Float32Array(bytes.buffer, bytes.byteOffset, bytes.byteLength / 4);
      });
      const onnxVectors = await served.embed(inputs);
      expect(embeddingDifference(torchVectors, onnxVectors).maxRelative).toBeLessThanOrEqual(1e-4);
      const ranking = (vectors: Float32Array[], q: number) =>
        vectors
          .map((v, i) => ({ i, d: v.reduce((sum, x, k) => sum + (x - vectors[q]![k]!) ** 2, 0) }))
          .sort((a, b) => a.d - b.d)
          .slice(0, 10)
          .map((hit) => hit.i);
      for (let q = 0; q < files.length; q++) expect(ranking(onnxVectors, q)).toEqual(ranking(torchVectors, q));
    } finally {
      served.dispose();
    }

    // `cbmir eval` reads the paper's Table 1 layers of the ONNX-only model: its graph outputs, by ONNX Runtime.
    const evaluation = await cbmirCli([
      'eval',
      '--data',
      data,
      '--labels',
      labels,
      '--no-store',
      '--json',
      '--map-points',
      '0',
      '--layers',
      `${out}:third-last,${out}:second-last,${out}:softmax`,
    ]);
    expect(evaluation.code, evaluation.stderr).toBe(0);
    const { runs } = JSON.parse(evaluation.stdout) as {
      runs: { source: { layer: string | null; dimensions: number }; result: { overall: { map: number } } }[];
    };
    expect(runs.map((run) => [run.source.layer, run.source.dimensions])).toEqual([
      ['pooled', 64],
      [null, 8],
      ['probabilities', 5],
    ]);
    expect(runs.every((run) => run.result.overall.map > 0)).toBe(true);
    expect(evaluation.stderr.match(/embedded by onnxruntime/g)).toHaveLength(3);
  }, 300_000);

  it('stops on Ctrl-C with a checkpoint and resumes where it stopped', async () => {
    const out = join(root, 'interrupted');
    const controller = new AbortController();
    controller.abort();
    const first = await train(options(out), controller.signal);
    expect(first.result.stoppedBy).toBe('interrupted');
    expect(existsSync(join(out, 'checkpoint', 'training-state.pt'))).toBe(true);
    expect(existsSync(join(out, 'metadata.json'))).toBe(true);
    const resumed = await train(options(out, { resume: true }), new AbortController().signal);
    expect(resumed.result).toMatchObject({ stoppedBy: 'completed', epochsDone: 2 });
  }, 300_000);

  it('reports a corrupt checkpoint with exit code 2 and leaves the model directory as it was', async () => {
    const out = join(root, 'corrupt');
    mkdirSync(join(out, 'checkpoint'), { recursive: true });
    writeFileSync(join(out, 'checkpoint', 'training-state.pt'), 'not a checkpoint');
    const error = await train(options(out, { resume: true }), new AbortController().signal).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TorchTrainerError);
    expect((error as TorchTrainerError).kind).toBe('corrupt-checkpoint');
    expect((error as TorchTrainerError).exitCode).toBe(2);
    expect((error as Error).message).toMatch(/checkpoint .* cannot be read/);
    expect(existsSync(join(out, 'metadata.json'))).toBe(false);
  }, 120_000);

  it('names the interpreter and what to install when PyTorch is missing', async () => {
    const saved = process.env.CBMIR_PYTHON;
    process.env.CBMIR_PYTHON = join(root, 'no-such-python');
    try {
      const logs: string[] = [];
      await expect(chooseEngine(options(join(root, 'x')), (m) => logs.push(m))).rejects.toThrow(UsageError);
      await expect(chooseEngine(options(join(root, 'x')), () => {})).rejects.toThrow(
        /no-such-python: not found.*apt-get install -y python3-torch python3-torchvision/,
      );
      const auto = await chooseEngine({ ...options(join(root, 'x')), engine: 'auto', torchOptionsGiven: [] }, (m) => logs.push(m));
      expect(auto.engine).toBe('tfjs');
      expect(logs.at(-1)).toMatch(/training engine: TF\.js .*no-such-python: not found.*python3-torch/);
    } finally {
      if (saved === undefined) delete process.env.CBMIR_PYTHON;
      else process.env.CBMIR_PYTHON = saved;
    }
  });

  it('bench train measures both engines side by side', async () => {
    const result = await benchTrain({
      engines: ['torch', 'tfjs'],
      models: [{ architecture: 'resnet-tiny', inputSize: 32 }],
      kinds: ['supervised'],
      batchSize: 4,
      steps: 1,
      log: () => {},
    });
    expect(result.failures).toEqual([]);
    expect(result.rows.map((row) => row.engine)).toEqual(['torch', 'tfjs']);
    expect(result.rows[0]).toMatchObject({ architecture: 'resnet-tiny', inputSize: 32, kind: 'supervised' });
    expect(result.rows[0]!.precision).toMatch(/^(bf16|fp32|fp16)$/);
    expect(result.rows.every((row) => row.imagesPerSecond > 0)).toBe(true);
  }, 300_000);
});
