import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from './backend.ts';
import { resolveEmbedderSpec } from './model-spec.ts';
import { runTraining, type TrainingRunOptions } from './training-run.ts';

const root = mkdtempSync(join(tmpdir(), 'cbmir-training-run-'));
beforeAll(async () => {
  await initBackend();
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 16, embeddingDim: 4, seed: 2 });
// two grades, two patients each: enough for same and different pairs
const items = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, grade: i % 2, patientId: `p${id}` }));

/** Three epochs whose validation MAP only falls, so the best epoch is the first. */
async function run(keep: TrainingRunOptions['keep'], outDir: string) {
  let epoch = 0;
  const result = await runTraining({
    kind: 'siamese',
    spec,
    items,
    loadImage: (id) => new Float32Array(16 * 16 * 3).fill(id.charCodeAt(0) / 100 - 1),
    epochs: 3,
    batchSize: 2,
    stepsPerEpoch: 1,
    learningRate: 1e-3,
    margin: 1,
    positiveFraction: 0.5,
    seed: 1,
    outDir,
    resume: false,
    keep,
    validate: async () => ({ map: 1 - 0.1 * epoch++ }),
  });
  const saved = JSON.parse(readFileSync(join(outDir, 'metadata.json'), 'utf8')) as { info: { metrics: { bestEpoch: number }; training: { epochs: number } } };
  return { result, saved: saved.info };
}

describe('runTraining', () => {
  it('keeps the epoch with the best validation MAP by default, the last one with keep: last', async () => {
    const best = await run(undefined, join(root, 'best'));
    expect(best.result.best?.epoch).toBe(1);
    expect(best.saved.metrics.bestEpoch).toBe(1);

    const last = await run('last', join(root, 'last'));
    expect(last.result.epochsDone).toBe(3);
    expect(last.saved.metrics.bestEpoch).toBe(3);
    expect(last.saved.training.epochs).toBe(3);
  });
});
