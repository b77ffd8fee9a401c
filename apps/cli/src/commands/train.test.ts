import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadEmbedder, readModelMetadata } from '@cbmir/embedder';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validationMetrics } from '@cbmir/retrieval';
import { writeLabelledSyntheticFolder } from '../../test/labelled-synthetic-folder.ts';
import { parseTrainOptions, train } from './train.ts';

// `cbmir train` end to end on images the test draws itself: checkpoints, Ctrl-C, resume, metadata.
const root = mkdtempSync(join(tmpdir(), 'cbmir-train-'));
let data: string;
let labels: string;

beforeAll(async () => {
  ({ data, labels } = await writeLabelledSyntheticFolder(root, { count: 30, seed: 300 }));
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const options = (out: string, extra: Record<string, string | boolean> = {}) => ({
  ...parseTrainOptions({
    data,
    labels,
    out,
    arch: 'resnet-tiny',
    'image-size': '32',
    'embedding-dim': '8',
    epochs: '3',
    'steps-per-epoch': '2',
    batch: '4',
    'validation-fraction': '0.3',
    engine: 'tfjs',
    ...extra,
  }),
  dataDir: join(root, 'data'),
  backend: undefined,
  validate: validationMetrics,
});

describe('cbmir train', () => {
  it('trains, validates each epoch, and writes the best model with its metadata', async () => {
    const out = join(root, 'model-a');
    const { result, summary } = await train(options(out), new AbortController().signal);
    expect(result.stoppedBy).toBe('completed');
    expect(result.epochsDone).toBe(3);
    expect(result.untrained?.map).toBeGreaterThan(0);
    expect(result.history.every((epoch) => epoch.validation && epoch.validation.map > 0)).toBe(true);
    expect(summary).toMatch(/validation before training: MAP/);
    const metadata = await readModelMetadata(out);
    expect(metadata.spec).toMatchObject({ architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 8 });
    expect(metadata.info).toMatchObject({ kind: 'siamese', trained: true, preprocessing: { inputSize: 32, version: 'graham-v4' } });
    expect(metadata.info?.dataFingerprint).toMatch(/^[0-9a-f]{16}$/);
    const embedder = await loadEmbedder(out);
    expect((await embedder.embed([new Float32Array(32 * 32 * 3)]))[0]).toHaveLength(8);
    embedder.dispose();
  }, 300_000);

  it('stops on Ctrl-C with a usable checkpoint and resumes where it stopped', async () => {
    const out = join(root, 'model-b');
    const controller = new AbortController();
    controller.abort(); // interrupted before the first step of the first epoch
    const first = await train(options(out, { preprocessing: 'graham-v3' }), controller.signal);
    expect(first.result.stoppedBy).toBe('interrupted');
    expect(existsSync(join(out, 'checkpoint', 'training-state.json'))).toBe(true);
    expect(existsSync(join(out, 'model.json'))).toBe(true);

    // A resumed run keeps the checkpoint's preprocessing (Graham's radius here), not today's default.
    await expect(train(options(out, { resume: true, preprocessing: 'graham-v4' }), new AbortController().signal)).rejects.toThrow(
      /trained with graham-v3, which a resumed run keeps/,
    );
    const resumed = await train(options(out, { resume: true }), new AbortController().signal);
    expect(resumed.result.stoppedBy).toBe('completed');
    expect((await readModelMetadata(out)).info?.preprocessing).toMatchObject({ version: 'graham-v3', scaleRadius: 300 });
    expect(resumed.result.epochsDone).toBe(3);
    const state = JSON.parse(readFileSync(join(out, 'checkpoint', 'training-state.json'), 'utf8'));
    expect(state.history.map((epoch: { epoch: number }) => epoch.epoch)).toEqual([1, 2, 3]);
    // Adam's state travels with the checkpoint: its step count is every step of the three epochs (2 each)
    const optimizer = JSON.parse(readFileSync(join(out, 'checkpoint', 'optimizer.json'), 'utf8'));
    expect(optimizer.optimizer).toBe('Adam');
    expect(optimizer.weights[0].name).toBe('iter');
    expect(new Float32Array(new Uint8Array(readFileSync(join(out, 'checkpoint', 'optimizer.bin'))).buffer)[0]).toBe(6);
    await expect(train(options(join(root, 'nothing-here'), { resume: true }), new AbortController().signal)).rejects.toThrow(/nothing to resume/);
  }, 300_000);

  it('refuses bad options with a usage error', () => {
    expect(() => parseTrainOptions({ data, labels })).toThrow(/--out/);
    expect(() => parseTrainOptions({ data, labels, out: 'x', model: 'triplet' })).toThrow(/siamese or supervised/);
    expect(() => parseTrainOptions({ data, labels, out: 'x', epochs: '0' })).toThrow(/--epochs/);
    expect(() => parseTrainOptions({ data, labels, out: 'x', arch: 'vgg' })).toThrow(/--arch/);
    expect(() => parseTrainOptions({ data, labels, out: 'x', preprocessing: 'graham-v1' })).toThrow(/--preprocessing must be graham-v4 or graham-v3/);
    expect(() => parseTrainOptions({ data, labels, out: 'x', arch: 'resnet-tiny', init: 'w.h5' })).toThrow(/resnet50/);
  });

  it('trains the supervised baseline too', async () => {
    const out = join(root, 'model-c');
    const { result } = await train(options(out, { model: 'supervised', epochs: '1' }), new AbortController().signal);
    expect(result.epochsDone).toBe(1);
    expect((await readModelMetadata(out)).info).toMatchObject({ kind: 'supervised' });
  }, 300_000);
});
