import { ROCCHIO_WEIGHTS, type SearchHit } from '@cbmir/contract';
import type { Mark, Refinement } from '../api/use-refine.ts';
import { ErrorMessage } from './status-message.tsx';

/** "More like this" / "Less like this" under one result card. */
export function RefineMarks({ hit, rank, refinement }: { hit: SearchHit; rank: number; refinement: Refinement }) {
  const mark = refinement.marks.get(hit.imageId);
  const button = (value: Mark, label: string, symbol: string) => (
    <button
      type="button"
      className={`refine-mark refine-mark--${value}`}
      aria-pressed={mark === value}
      aria-label={`${label}: similar case ${rank}`}
      onClick={() => refinement.toggle(hit.imageId, value)}
      data-testid={`mark-${value}`}
    >
      <span aria-hidden="true">{symbol}</span> {label}
    </button>
  );
  return (
    <fieldset className="refine-marks">
      <legend className="visually-hidden">Refine by similar case {rank}</legend>
      {button('liked', 'More like this', '+')}
      {button('disliked', 'Less like this', '−')}
    </fieldset>
  );
}

const { query: a, liked: b, disliked: c } = ROCCHIO_WEIGHTS;

/** Refine by example: re-rank with the marks, and undo a step. */
export function RefineControls({ refinement }: { refinement: Refinement }) {
  const liked = [...refinement.marks.values()].filter((mark) => mark === 'liked').length;
  const disliked = refinement.marks.size - liked;
  return (
    <section className="refine-controls" aria-label="Refine by example" data-testid="refine-controls">
      <p className="hint">
        Mark cases as more or less like what you are looking for, then re-rank: the query moves toward the cases you liked and away from those you did not
        (Rocchio: ({a}·query + {b}·mean of liked − {c}·mean of disliked) / {a + b - c}). Filters still apply.
      </p>
      <div className="button-row">
        <button type="button" className="button" disabled={!refinement.changed || refinement.pending} onClick={refinement.refine} data-testid="refine-apply">
          {refinement.pending ? 'Re-ranking…' : `Re-rank (${liked} more, ${disliked} less)`}
        </button>
        <button
          type="button"
          className="button button--secondary"
          disabled={refinement.steps === 0 || refinement.pending}
          onClick={refinement.undo}
          data-testid="refine-undo"
        >
          Undo
        </button>
        <span className="refine-controls__steps" data-testid="refine-steps" aria-live="polite">
          {refinement.steps === 0 ? 'Original ranking' : `Refined ${refinement.steps} ${refinement.steps === 1 ? 'time' : 'times'}`}
        </span>
      </div>
      {refinement.error && <ErrorMessage error={refinement.error} title="The results could not be re-ranked" testId="refine-error" />}
    </section>
  );
}
