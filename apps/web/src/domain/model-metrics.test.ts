import { describe, expect, it } from 'vitest';
import { validationSummary } from './model-metrics.ts';

describe('validationSummary', () => {
  it('reads the validation metrics a training run stores', () => {
    expect(validationSummary({ validation: { map: 0.61, macroMap: 0.55, mrr: 0.8 }, untrainedValidation: { map: 0.3 }, bestEpoch: 7, training: {} })).toEqual({
      map: 0.61,
      macroMap: 0.55,
      mrr: 0.8,
      bestEpoch: 7,
      untrainedMap: 0.3,
    });
  });

  it('is null when the version has no validation metrics, and ignores values that are not numbers', () => {
    expect(validationSummary(null)).toBeNull();
    expect(validationSummary({ validation: null, bestEpoch: 1 })).toBeNull();
    expect(validationSummary({ validation: { map: 'high' } })).toBeNull();
    expect(validationSummary({ validation: { map: 0.5, mrr: Number.NaN } })).toMatchObject({ map: 0.5, mrr: null });
  });
});
