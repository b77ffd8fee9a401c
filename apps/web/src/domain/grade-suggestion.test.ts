import type { Evaluation, SearchResponse } from '@cbmir/contract';
import { describe, expect, it } from 'vitest';
import { suggestionView, voteEvidence } from './grade-suggestion.ts';

const suggestion = {
  grade: 2,
  share: 0.6,
  spread: [
    { grade: 2, share: 0.6, neighbours: 6 },
    { grade: 0, share: 0.4, neighbours: 4 },
  ],
  voters: 10,
  ungraded: 0,
};
const response = (trained: boolean, withSuggestion = true) =>
  ({ model: { name: 'm1', trained }, suggestion: withSuggestion ? suggestion : null }) as unknown as SearchResponse;
const evaluation = (layer: string | null, voteAccuracy: number | null, createdAt: string) =>
  ({
    layer,
    createdAt,
    metrics: { overall: { voteAccuracy, voteKappa: 0.4 }, chance: { voteAccuracy: 0.2 }, counts: { queries: 705 } },
  }) as unknown as Evaluation;

describe('grade suggestion', () => {
  it('takes the evidence from the newest evaluation of the served embedding', () => {
    const evidence = voteEvidence([evaluation('second-last', 0.9, '2026-11-03'), evaluation(null, 0.55, '2026-11-02'), evaluation(null, 0.5, '2026-11-01')]);
    expect(evidence).toEqual({ queries: 705, accuracy: 0.55, kappa: 0.4, chanceAccuracy: 0.2, evaluatedAt: '2026-11-02' });
    expect(voteEvidence([evaluation(null, null, '2026-11-01')])).toBeNull();
  });

  it('suggests only with a trained, evaluated model, no grade filter and graded neighbours', () => {
    const evidence = voteEvidence([evaluation(null, 0.55, '2026-11-02')]);
    expect(suggestionView(response(true), evidence, false)).toMatchObject({ kind: 'suggest', suggestion });
    expect(suggestionView(response(false), evidence, false)).toMatchObject({ kind: 'withheld', reason: expect.stringMatching(/untrained/) });
    expect(suggestionView(response(true), null, false)).toMatchObject({ kind: 'withheld', reason: expect.stringMatching(/no stored evaluation/) });
    expect(suggestionView(response(true), evidence, true)).toMatchObject({ kind: 'withheld', reason: expect.stringMatching(/grade filter/) });
    expect(suggestionView(response(true, false), evidence, false)).toMatchObject({
      kind: 'withheld',
      reason: expect.stringMatching(/none of these cases is graded/),
    });
  });
});
