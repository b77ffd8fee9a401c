import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { benchTrain, formatTrainBench, parseKinds } from './bench-train.ts';

describe('bench train', () => {
  it('measures a training step of each kind and reports the backend, parameters and a finite loss', async () => {
    const result = await benchTrain({
      models: [{ architecture: 'resnet-tiny', inputSize: 16 }],
      kinds: ['siamese', 'supervised'],
      batchSize: 2,
      steps: 1,
      log: () => {},
    });
    expect(result.rows.map((r) => r.kind)).toEqual(['siamese', 'supervised']);
    for (const row of result.rows) {
      expect(row.backend).toBe(result.backend);
      expect(row.imagesPerSecond).toBeGreaterThan(0);
      expect(Number.isFinite(row.loss)).toBe(true);
      expect(row.trainableParameters).toBeGreaterThan(1000);
    }
    // the classifier adds a 5-way softmax on top of the same tower and embedding-wide dense layer
    expect(result.rows[1]!.trainableParameters).toBeGreaterThan(result.rows[0]!.trainableParameters);
    const table = formatTrainBench(result).split('\n');
    expect(table[0]).toMatch(/architecture\s+input\s+kind\s+engine\s+backend\s+precision/);
    expect(result.rows.every((row) => row.engine === 'tfjs' && row.precision === 'fp32')).toBe(true);
    expect(table[1]).toContain('siamese');
    expect(table[2]).toContain('supervised');
  });

  it('reports a network it cannot measure and goes on with the others', async () => {
    const result = await benchTrain({
      models: [
        { architecture: 'resnet18', inputSize: 16 },
        { architecture: 'resnet-tiny', inputSize: 16 },
      ],
      kinds: ['supervised'],
      batchSize: 2,
      steps: 1,
      log: () => {},
    });
    expect(result.failures).toEqual([expect.stringMatching(/^supervised resnet18@16, batch 2: inputSize must be at least 32/)]);
    expect(result.rows.map((r) => r.architecture)).toEqual(['resnet-tiny']);
    expect(formatTrainBench(result)).toMatch(/\nfailed: supervised resnet18@16/);
  });

  it('rejects an unknown kind', () => {
    expect(() => parseKinds('siamese,triplet')).toThrow(UsageError);
  });
});
