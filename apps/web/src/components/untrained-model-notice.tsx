import { useReadiness } from '../api/use-readiness.ts';

/**
 * A model with random weights still returns a confident-looking ranked list; say so on every page,
 * so that nobody reads clinical meaning into it.
 */
export function UntrainedModelNotice() {
  const { data } = useReadiness();
  if (!data?.model || data.model.trained) return null;
  return (
    <div className="notice-bar" role="note" data-testid="untrained-notice">
      <div className="notice-bar__inner">
        <span className="badge badge--warning" data-testid="untrained-badge">
          <span aria-hidden="true">⚠</span> untrained model: rankings are not meaningful yet
        </span>
        <span className="notice-bar__text">
          Model <strong>{data.model.name}</strong> has not been trained on graded fundus photographs yet.
        </span>
      </div>
    </div>
  );
}
