import type { SearchResponse } from '@cbmir/contract';
import { useModelEvaluations } from '../api/use-evaluations.ts';
import { drGradeLabel } from '../domain/dr-grade.ts';
import { formatCount, formatDate, formatMetric } from '../domain/format.ts';
import { percent, suggestionView, voteEvidence } from '../domain/grade-suggestion.ts';

/**
 * The neighbours' distance-weighted grade vote as decision support, beside how often this model's vote
 * agreed with a grader when it was evaluated. It never claims a diagnosis.
 */
export function GradeSuggestionPanel({ response, gradeFiltered }: { response: SearchResponse; gradeFiltered: boolean }) {
  const evaluations = useModelEvaluations(response.model.trained ? response.model.id : null);
  if (response.model.trained && evaluations.isPending) return null;
  const evidence = voteEvidence(evaluations.data?.pages[0]?.evaluations ?? []);
  const view = suggestionView(response, evidence, gradeFiltered);

  return (
    <section className="suggestion" aria-labelledby="suggestion-heading" data-testid="grade-suggestion" data-kind={view.kind}>
      <h3 id="suggestion-heading" className="suggestion__title">
        What the similar cases suggest
      </h3>
      {view.kind === 'withheld' ? (
        <p className="suggestion__withheld" data-testid="suggestion-withheld">
          {view.reason}
        </p>
      ) : (
        <>
          <p className="suggestion__lead" data-testid="suggestion-grade" data-grade={view.suggestion.grade}>
            The {view.suggestion.voters} nearest graded {view.suggestion.voters === 1 ? 'case leans' : 'cases lean'} towards{' '}
            <strong>DR grade {drGradeLabel(view.suggestion.grade)}</strong>: {percent(view.suggestion.share)} of their vote, weighted by similarity.
          </p>
          <ul className="suggestion__spread" aria-label="Share of the vote by grade" data-testid="suggestion-spread">
            {view.suggestion.spread.map((vote) => (
              <li key={vote.grade} className="suggestion__bar" data-grade={vote.grade}>
                <span className="suggestion__bar-label">{drGradeLabel(vote.grade)}</span>
                <span className="suggestion__bar-track" aria-hidden="true">
                  <span className="suggestion__bar-fill" style={{ width: percent(vote.share) }} />
                </span>
                <span className="suggestion__bar-value">
                  {percent(vote.share)} ({vote.neighbours} {vote.neighbours === 1 ? 'case' : 'cases'})
                </span>
              </li>
            ))}
          </ul>
          <p className="suggestion__evidence" data-testid="suggestion-evidence">
            On {formatCount(view.evidence.queries)} held-out images this model’s 10-NN vote agreed with the grader {percent(view.evidence.accuracy)} of the time
            {view.evidence.chanceAccuracy !== null && <> (chance {percent(view.evidence.chanceAccuracy)})</>}, quadratic kappa{' '}
            {formatMetric(view.evidence.kappa)} (evaluated {formatDate(view.evidence.evaluatedAt)}).
          </p>
        </>
      )}
      <p className="suggestion__caveat">Decision support from similar archived cases, not a diagnosis: grade the photograph yourself.</p>
    </section>
  );
}
