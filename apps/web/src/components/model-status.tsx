import { useReadiness } from '../api/use-readiness.ts';

/** Which model produced the rankings, and how many cases they are drawn from. */
export function ModelStatus() {
  const readiness = useReadiness();

  if (readiness.isPending) {
    return (
      <div className="model-status" data-testid="model-status">
        <span className="model-status__muted">Connecting to server…</span>
      </div>
    );
  }
  if (readiness.isError) {
    return (
      <div className="model-status" data-testid="model-status">
        <span className="badge badge--danger">Server unreachable</span>
      </div>
    );
  }

  const { model, images, status, backend } = readiness.data;
  return (
    <div className="model-status" data-testid="model-status">
      {model ? (
        <span
          className="model-status__item"
          data-testid="model-version"
          title={backend ? `Inference backend: ${backend}` : undefined}
        >
          <span className="model-status__label">Model</span> <strong data-testid="model-name">{model.name}</strong>
          <span className="model-status__detail">
            {' '}
            · {model.architecture} · {model.embeddingDim}-d embedding
          </span>
        </span>
      ) : (
        <span className="badge badge--warning">No active model</span>
      )}
      <span className="model-status__item" data-testid="images-indexed">
        <strong>{images.toLocaleString('en')}</strong> {images === 1 ? 'image' : 'images'} indexed
      </span>
      {status === 'not_ready' && <span className="badge badge--warning">Server not ready</span>}
    </div>
  );
}
