import { useReadiness } from '../api/use-readiness.ts';

/**
 * Which model produced the rankings, how many cases they are drawn from, and whether they can be
 * trusted yet: a model with random weights still returns a confident-looking ranked list, so an
 * untrained model is flagged on every page.
 */
export function ModelBar() {
  const readiness = useReadiness();
  const untrained = readiness.data?.model?.trained === false;

  return (
    <div className={`model-bar${untrained ? ' model-bar--untrained' : ''}`} data-testid="model-status">
      <div className="model-bar__inner">
        {readiness.isPending && <span>Connecting to server…</span>}
        {readiness.isError && <span className="badge badge--danger">Server unreachable</span>}
        {readiness.data && (
          <>
            {readiness.data.model ? (
              <span
                className="model-bar__item"
                data-testid="model-version"
                title={readiness.data.backend ? `Inference backend: ${readiness.data.backend}` : undefined}
              >
                Model <strong data-testid="model-name">{readiness.data.model.name}</strong> · {readiness.data.model.architecture} ·{' '}
                {readiness.data.model.embeddingDim}-d embedding
              </span>
            ) : (
              <span className="badge badge--warning">No active model</span>
            )}
            <span className="model-bar__item" data-testid="images-indexed">
              <strong>{readiness.data.images.toLocaleString('en')}</strong> {readiness.data.images === 1 ? 'image' : 'images'} indexed
            </span>
            {readiness.data.status === 'not_ready' && <span className="badge badge--warning">Server not ready</span>}
            {untrained && (
              <span className="badge badge--warning" role="note" data-testid="untrained-badge">
                <span aria-hidden="true">⚠</span> untrained model: rankings are not meaningful yet
              </span>
            )}
          </>
        )}
      </div>
    </div>
  );
}
