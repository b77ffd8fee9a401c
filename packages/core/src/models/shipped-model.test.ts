import { readModelMetadata } from '@cbmir/embedder';
import { DEFAULT_PREPROCESSING, resolvePreprocessing } from '@cbmir/imaging';
import { describe, expect, it } from 'vitest';
import { SHIPPED_MODEL_DIR } from '../config.ts';

describe('the shipped model (models/default)', () => {
  it('records the current preprocessing, so a fresh install decodes each query and ingested photo once', async () => {
    // It was trained on 256 px photographs, where graham-v3 gives graham-v1's output bit for bit (checked on
    // 430 of the EyePACS dev photographs): its measured quality holds under v3.
    const metadata = await readModelMetadata(SHIPPED_MODEL_DIR);
    expect(resolvePreprocessing(metadata.info?.preprocessing, metadata.spec.inputSize)).toEqual({
      ...DEFAULT_PREPROCESSING,
      inputSize: metadata.spec.inputSize,
    });
  });
});
