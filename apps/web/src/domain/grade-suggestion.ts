import type { Evaluation, SearchResponse } from '@cbmir/contract';

/** What the page may say about the neighbours' grade vote, and why it says nothing when it does not. */
export type SuggestionView =
  | { kind: 'suggest'; suggestion: NonNullable<SearchResponse['suggestion']>; evidence: VoteEvidence }
  | { kind: 'withheld'; reason: string };

/** How often the active model's 10-NN vote agreed with the grader, from its latest stored evaluation. */
export interface VoteEvidence {
  queries: number;
  accuracy: number;
  kappa: number | null;
  chanceAccuracy: number | null;
  evaluatedAt: string;
}

/** The newest evaluation of the served embedding (not of another layer) that measured the vote. */
export function voteEvidence(evaluations: Evaluation[]): VoteEvidence | null {
  const latest = evaluations.find((evaluation) => evaluation.layer === null && evaluation.metrics.overall.voteAccuracy !== null);
  if (!latest) return null;
  return {
    queries: latest.metrics.counts.queries,
    accuracy: latest.metrics.overall.voteAccuracy!,
    kappa: latest.metrics.overall.voteKappa,
    chanceAccuracy: latest.metrics.chance.voteAccuracy,
    evaluatedAt: latest.createdAt,
  };
}

/**
 * A grade is only suggested with its measured track record beside it: never from an untrained model, nor
 * from one whose vote was never measured, nor while a grade filter decides which grades may vote.
 */
export function suggestionView(response: SearchResponse, evidence: VoteEvidence | null, gradeFiltered: boolean): SuggestionView {
  const model = response.model.name;
  if (!response.model.trained) {
    return { kind: 'withheld', reason: `No grade is suggested: model ${model} is untrained, so its neighbours’ grades say nothing about this photograph yet.` };
  }
  if (!evidence) {
    return {
      kind: 'withheld',
      reason: `No grade is suggested: model ${model} has no stored evaluation, so how often its neighbours’ vote agrees with a grader is unknown. An admin can measure it with cbmir eval.`,
    };
  }
  if (gradeFiltered) {
    return { kind: 'withheld', reason: 'No grade is suggested while a grade filter is on: the filter, not the photograph, decides which grades can vote.' };
  }
  if (!response.suggestion) return { kind: 'withheld', reason: 'No grade is suggested: none of these cases is graded.' };
  return { kind: 'suggest', suggestion: response.suggestion, evidence };
}

export const percent = (share: number) => `${Math.round(share * 100)}%`;
