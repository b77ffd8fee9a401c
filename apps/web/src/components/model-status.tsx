import { useReadiness } from '../api/use-readiness.ts';

/** Which model produced the rankings, and whether they can be trusted yet. */
export function ModelStatus() {
  const readiness = useReadiness();

  if (readiness.isPending) {
    return (
      <div className="model-status" role="status" aria-live="polite" data-testid="model-status">
        <span className="model-status__muted">Connecting to server…</span>
      </div>
    );
  }
  if (readiness.isError) {
    return (
      <div className="model-status" role="status" aria-live="polite" data-testid="model-status">
        <span className="badge badge--danger">Server unreachable</span>
      </div>
    );
  }

  const { model, images, status, backend } = readiness.data;
  return (
    <div className="model-status" aria-live="polite" data-testid="model-status">
      {model ? (
        <span className="model-status__model" data-testid="model-version">
          <span className="model-status__label">Model</span>{' '}
          <strong data-testid="model-name">{model.name}</strong>
          <span className="model-status__detail">
            {model.architecture} · {model.embeddingDim}-d embedding
            {backend ? ` · ${backend}` : ''}
          </span>
        </span>
      ) : (
        <span className="badge badge--warning">No active model</span>
      )}
      <span className="model-status__count" data-testid="images-indexed">
        <strong>{images.toLocaleString('en')}</strong> {images === 1 ? 'image' : 'images'} indexed
      </span>
      {status === 'not_ready' && <span className="badge badge--warning">Server not ready</span>}
      {model && !model.trained && (
        <span className="badge badge--warning" data-testid="untrained-badge" role="note">
          <span aria-hidden="true">⚠</span> untrained model: rankings are not meaningful yet
        </span>
      )}
    </div>
  );
}
