import type { ModelVersionDetail } from '@cbmir/contract';
import { useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { useActivateModel, useModelProgress, useModels } from '../api/use-models.ts';
import { useRegisterModel } from '../api/use-models.ts';
import { ConfirmDialog } from '../components/confirm-dialog.tsx';
import { FormField } from '../components/form-field.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { ProgressBar } from '../components/progress-bar.tsx';
import { QueryError } from '../components/query-error.tsx';
import { useIsAdmin } from '../components/require-admin.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { formatCount, formatDate, formatMetric } from '../domain/format.ts';
import { validationSummary } from '../domain/model-metrics.ts';

export function ModelsPage() {
  const models = useModels();
  const admin = useIsAdmin();
  const activate = useActivateModel();
  const [confirming, setConfirming] = useState<ModelVersionDetail | null>(null);
  const list = models.data?.models ?? [];
  const anyIndexing = list.some((m) => m.activation.state === 'indexing');

  return (
    <div className="page" data-testid="models-page">
      <PageHeading
        title="Model versions"
        intro={
          <>
            Each version embeds the images its own way; searches use the active one. Activating a version embeds every stored image under it first, while the
            current version keeps serving searches; then search switches at once.
          </>
        }
      />
      <section className="panel table-panel" aria-labelledby="models-heading">
        <div className="table-panel__head">
          <h2 id="models-heading" className="panel__title">
            Versions
          </h2>
          {!admin && <span className="hint">Only admins can activate or register versions.</span>}
        </div>
        <div className="live-region" aria-live="polite">
          {models.isPending && <LoadingMessage testId="models-loading">Loading model versions…</LoadingMessage>}
          {models.isError && <QueryError error={models.error} title="Model versions could not be loaded" testId="models-error" />}
          {activate.isError && <ErrorMessage error={activate.error} title="The version could not be activated" testId="activate-error" />}
        </div>
        {models.data && list.length === 0 && (
          <p className="empty-state" data-testid="models-empty">
            No model versions yet. Train one with <code>pnpm cbmir train</code>, then register its folder here.
          </p>
        )}
        {list.length > 0 && (
          <div className="table-scroll">
            <table className="data-table" data-testid="models-table">
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Network</th>
                  <th scope="col">Trained</th>
                  <th scope="col">State</th>
                  <th scope="col" className="numeric-col">
                    <abbr title="Mean average precision on held-out validation patients, from training">Validation MAP</abbr>
                  </th>
                  <th scope="col">Created</th>
                  <th scope="col">
                    <span className="visually-hidden">Actions</span>
                  </th>
                </tr>
              </thead>
              <tbody>
                {list.map((detail) => (
                  <ModelRow
                    key={detail.model.id}
                    detail={detail}
                    listUpdatedAt={models.dataUpdatedAt}
                    admin={admin}
                    // One activation at a time: the server refuses a second while one is indexing.
                    canActivate={!anyIndexing && !activate.isPending}
                    onActivate={() => setConfirming(detail)}
                  />
                ))}
              </tbody>
            </table>
          </div>
        )}
      </section>
      {admin && <RegisterModelForm />}
      <ConfirmDialog
        open={confirming !== null}
        title={`Activate ${confirming?.model.name ?? ''}?`}
        confirmLabel="Activate"
        danger={false}
        busy={activate.isPending}
        onCancel={() => setConfirming(null)}
        onConfirm={() => {
          const id = confirming?.model.id;
          setConfirming(null);
          if (id) activate.mutate(id);
        }}
      >
        <p>
          Every stored image ({formatCount(confirming?.activation.total ?? 0)}) is embedded under this version first;{' '}
          {formatCount(confirming?.activation.embedded ?? 0)} already are. Searches keep using the current version until the index is complete, then switch to
          this one.
        </p>
        {confirming && !confirming.model.trained && <p className="warning-note">This version is untrained: its rankings are not meaningful.</p>}
      </ConfirmDialog>
    </div>
  );
}

function ModelRow({
  detail,
  listUpdatedAt,
  admin,
  canActivate,
  onActivate,
}: {
  detail: ModelVersionDetail;
  listUpdatedAt: number;
  admin: boolean;
  canActivate: boolean;
  onActivate(): void;
}) {
  const progress = useModelProgress(detail.model.id, detail.activation.state === 'indexing');
  // The polled copy is fresher while indexing; the list's once the list has been refetched.
  const current = progress.data && progress.dataUpdatedAt >= listUpdatedAt ? progress.data : detail;
  const { model, activation } = current;
  const validation = validationSummary(current.metrics);

  return (
    <tr data-testid="model-row" data-model-name={model.name} data-state={activation.state} className={model.active ? 'row--highlight' : undefined}>
      <th scope="row" className="model-name-cell">
        <span className="mono">{model.name}</span>
        <div>
          <Link to={`/evaluation?model=${encodeURIComponent(model.id)}`} className="small-link">
            Evaluations
          </Link>
        </div>
      </th>
      <td className="nowrap" data-testid="model-network">
        {model.architecture}
        <div className="muted small">
          {model.inputSize} px input · {model.embeddingDim}-d
        </div>
      </td>
      <td>{model.trained ? 'yes' : <span className="badge badge--warning">untrained</span>}</td>
      <td className="state-cell" data-testid="model-state">
        <ActivationState detail={current} />
        {activation.unreadable > 0 && activation.state !== 'inactive' && (
          <p className="state-error" data-testid="model-unreadable">
            {formatCount(activation.unreadable)} stored {activation.unreadable === 1 ? 'image' : 'images'} could not be read and{' '}
            {activation.unreadable === 1 ? 'is' : 'are'} left out of search (the server log names them; ingesting the same file again repairs it)
          </p>
        )}
      </td>
      <td className="numeric-col">
        {validation ? (
          <span
            className="numeric"
            title={[
              `macro-MAP ${formatMetric(validation.macroMap)}`,
              `MRR ${formatMetric(validation.mrr)}`,
              validation.untrainedMap !== null ? `before training: MAP ${formatMetric(validation.untrainedMap)}` : null,
              validation.bestEpoch !== null ? `best epoch ${validation.bestEpoch}` : null,
            ]
              .filter(Boolean)
              .join(' · ')}
            data-testid="model-map"
          >
            {formatMetric(validation.map)}
          </span>
        ) : (
          <span className="muted">—</span>
        )}
      </td>
      <td className="nowrap">{formatDate(model.createdAt)}</td>
      <td className="actions-cell">
        {admin && !model.active && activation.state !== 'indexing' && (
          <button type="button" className="button button--secondary button--small" disabled={!canActivate} onClick={onActivate} data-testid="model-activate">
            {activation.state === 'failed' ? 'Retry activation' : 'Activate'}
            <span className="visually-hidden"> {model.name}</span>
          </button>
        )}
      </td>
    </tr>
  );
}

function ActivationState({ detail }: { detail: ModelVersionDetail }) {
  const { activation, model } = detail;
  switch (activation.state) {
    case 'active':
      return (
        <span className="state state--ok" data-testid="model-state-label">
          Active{model.active ? ': serving searches' : ''}
        </span>
      );
    case 'indexing':
      return (
        <div className="state-progress">
          <span className="state state--busy" data-testid="model-state-label">
            Indexing
          </span>
          <ProgressBar
            value={activation.embedded}
            max={activation.total}
            label={`Indexing images under ${model.name}`}
            text={`${formatCount(activation.embedded)} / ${formatCount(activation.total)}`}
            testId="model-progress"
          />
        </div>
      );
    case 'failed':
      return (
        <div>
          <span className="state state--danger" data-testid="model-state-label">
            Failed
          </span>
          {activation.error && <p className="state-error">{activation.error}</p>}
        </div>
      );
    default:
      return (
        <span
          className="state state--muted"
          data-testid="model-state-label"
          title={`${activation.embedded} of ${activation.total} images embedded under this version`}
        >
          Inactive
        </span>
      );
  }
}

function RegisterModelForm() {
  const register = useRegisterModel();
  const [path, setPath] = useState('');
  const [name, setName] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const pathError = submitted && path.trim() === '' ? 'Enter the folder that `cbmir train --out` wrote, as the server sees it.' : null;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (path.trim() === '') return;
    register.mutate(
      { path: path.trim(), ...(name.trim() ? { name: name.trim() } : {}) },
      {
        onSuccess: () => {
          setPath('');
          setName('');
          setSubmitted(false);
        },
      },
    );
  }

  return (
    <form className="panel form-panel form-panel--narrow" onSubmit={onSubmit} noValidate aria-labelledby="register-heading" data-testid="register-model-form">
      <h2 id="register-heading" className="panel__title">
        Register a version
      </h2>
      <p className="panel__intro">Adds a trained model folder on the server as an inactive version. Nothing is re-indexed until it is activated.</p>
      <FormField
        label="Model folder on the server"
        error={pathError}
        hint={
          <>
            e.g. <code>/srv/cbmir/models/siamese-2026-11</code>
          </>
        }
      >
        {(props) => <input {...props} className="mono" value={path} onChange={(event) => setPath(event.target.value)} data-testid="register-path" />}
      </FormField>
      <FormField label="Name (optional)" hint="Defaults to the name in the folder's metadata.">
        {(props) => <input {...props} value={name} onChange={(event) => setName(event.target.value)} maxLength={200} data-testid="register-name" />}
      </FormField>
      <div className="live-region" aria-live="polite">
        {register.isError && <ErrorMessage error={register.error} title="The model could not be registered" testId="register-error" />}
        {register.isSuccess && (
          <p className="success-note" data-testid="register-success">
            Registered {register.data.model.name}. Activate it in the list when you are ready.
          </p>
        )}
      </div>
      <button type="submit" className="button" disabled={register.isPending} data-testid="register-submit">
        {register.isPending ? 'Registering…' : 'Register'}
      </button>
    </form>
  );
}
