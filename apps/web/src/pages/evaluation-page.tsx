import type { Evaluation, ModelVersionDetail } from '@cbmir/contract';
import { useEffect, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useSearchSession } from '../api/search-session.tsx';
import { useModelEvaluations } from '../api/use-evaluations.ts';
import { useModels } from '../api/use-models.ts';
import { EmbeddingMap, type MapHighlights } from '../components/evaluation/embedding-map.tsx';
import { GradeMetricTable, MetricTable, VoteConfusion } from '../components/evaluation/metric-table.tsx';
import { PrCurveChart } from '../components/evaluation/pr-curve-chart.tsx';
import { PageHeading } from '../components/page-heading.tsx';
import { QueryError } from '../components/query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { fileSha256 } from '../domain/file-sha256.ts';
import { formatCount, formatDateTime } from '../domain/format.ts';

export function EvaluationPage() {
  const models = useModels();
  const [params, setParams] = useSearchParams();
  const list = models.data?.models ?? [];
  // Default: the version that serves searches now.
  const modelId = params.get('model') ?? list.find((m) => m.model.active)?.model.id ?? list[0]?.model.id ?? null;
  const model = list.find((m) => m.model.id === modelId) ?? null;

  return (
    <div className="page" data-testid="evaluation-page">
      <PageHeading
        title="Evaluation"
        intro={
          <>
            How well a model version finds cases of the same DR grade. Every labelled image searches the others, never its own patient; a result is relevant
            when its grade matches. Each number stands beside what a random ranking would score.
          </>
        }
      />
      <div className="live-region" aria-live="polite">
        {models.isPending && <LoadingMessage testId="evaluation-loading">Loading model versions…</LoadingMessage>}
        {models.isError && <QueryError error={models.error} title="Model versions could not be loaded" testId="evaluation-error" />}
      </div>
      {models.data && list.length === 0 && <p className="empty-state">No model versions yet.</p>}
      {modelId && (
        <ModelEvaluations
          key={modelId}
          modelId={modelId}
          model={model}
          models={list}
          evaluationId={params.get('evaluation')}
          onChange={(next) => setParams(Object.fromEntries(Object.entries(next).filter((e): e is [string, string] => e[1] !== null)))}
        />
      )}
    </div>
  );
}

function ModelEvaluations({
  modelId,
  model,
  models,
  evaluationId,
  onChange,
}: {
  modelId: string;
  model: ModelVersionDetail | null;
  models: ModelVersionDetail[];
  evaluationId: string | null;
  onChange(next: { model: string; evaluation: string | null }): void;
}) {
  const evaluations = useModelEvaluations(modelId);
  const list = evaluations.data?.pages.flatMap((page) => page.evaluations) ?? [];
  const evaluation = list.find((e) => e.id === evaluationId) ?? list[0] ?? null;

  return (
    <>
      <form
        className="panel filter-bar evaluation-picker"
        aria-label="Choose an evaluation"
        onSubmit={(event) => event.preventDefault()}
        data-testid="evaluation-picker"
      >
        <div className="field">
          <label htmlFor="evaluation-model">Model version</label>
          <select
            id="evaluation-model"
            className="select"
            value={modelId}
            onChange={(event) => onChange({ model: event.target.value, evaluation: null })}
            data-testid="evaluation-model"
          >
            {models.map((m) => (
              <option key={m.model.id} value={m.model.id}>
                {m.model.name}
                {m.model.active ? ' (active)' : ''}
              </option>
            ))}
          </select>
        </div>
        {list.length > 0 && (
          <div className="field">
            <label htmlFor="evaluation-run">Evaluation</label>
            <select
              id="evaluation-run"
              className="select"
              value={evaluation?.id ?? ''}
              onChange={(event) => onChange({ model: modelId, evaluation: event.target.value })}
              data-testid="evaluation-run"
            >
              {list.map((e) => (
                <option key={e.id} value={e.id}>
                  {formatDateTime(e.createdAt)} · {e.data.name} · {formatCount(e.data.images)} images{e.layer ? ` · layer ${e.layer}` : ''}
                </option>
              ))}
            </select>
          </div>
        )}
        {evaluations.hasNextPage && (
          <div className="filter-bar__actions">
            <button
              type="button"
              className="button button--secondary"
              onClick={() => void evaluations.fetchNextPage()}
              disabled={evaluations.isFetchingNextPage}
            >
              {evaluations.isFetchingNextPage ? 'Loading…' : 'Load older evaluations'}
            </button>
          </div>
        )}
      </form>
      <div className="live-region" aria-live="polite">
        {evaluations.isPending && <LoadingMessage testId="evaluations-loading">Loading evaluations…</LoadingMessage>}
        {evaluations.isError && !evaluations.data && (
          <QueryError error={evaluations.error} title="Evaluations could not be loaded" testId="evaluations-error" />
        )}
        {evaluations.isFetchNextPageError && <ErrorMessage error={evaluations.error} title="Older evaluations could not be loaded" />}
      </div>
      {evaluations.data && list.length === 0 && (
        <div className="empty-state empty-state--left" data-testid="evaluations-empty">
          <p>
            <strong>{model?.model.name ?? 'This version'}</strong> has not been evaluated yet. On the server, run
          </p>
          <pre className="command">pnpm cbmir eval --data &lt;folder&gt; --labels &lt;labels.csv&gt; --model {model?.model.name ?? modelId}</pre>
          <p>with labelled photographs the model was not trained on; the result appears here.</p>
        </div>
      )}
      {evaluation && <EvaluationReport key={evaluation.id} evaluation={evaluation} model={model} />}
    </>
  );
}

function EvaluationReport({ evaluation, model }: { evaluation: Evaluation; model: ModelVersionDetail | null }) {
  const { metrics } = evaluation;
  const { counts } = metrics;
  const highlights = useLastSearchHighlights();
  return (
    <div className="evaluation" data-testid="evaluation-report" data-evaluation-id={evaluation.id}>
      <section className="panel" aria-labelledby="evaluation-summary-heading">
        <h2 id="evaluation-summary-heading" className="panel__title">
          {evaluation.data.name}: {formatCount(counts.queries)} queries
          {evaluation.gallery ? ` against ${evaluation.gallery.name}` : ''}
        </h2>
        {model && !model.model.trained && (
          <p className="warning-note">This version is untrained: its numbers show what random weights achieve, a baseline for trained versions.</p>
        )}
        <dl className="summary-facts" data-testid="evaluation-facts">
          <Fact label="Protocol" value={evaluation.protocol === 'gallery' ? 'separate gallery' : 'leave patient out'} />
          <Fact label="Gallery" value={`${formatCount(counts.gallery)} images`} />
          <Fact label="Representation" value={`${evaluation.layer ?? 'embedding'}, ${evaluation.dimensions}-d`} />
          <Fact label="Queries without a same-grade case" value={formatCount(counts.queriesWithoutRelevant)} />
          <Fact label="Same-patient pairs left out" value={formatCount(counts.excludedSamePatient)} />
          <Fact label="Evaluated" value={formatDateTime(evaluation.createdAt)} />
        </dl>
      </section>
      <div className="evaluation__grid">
        <section className="panel" aria-labelledby="metrics-heading">
          <h2 id="metrics-heading" className="panel__title">
            Retrieval metrics
          </h2>
          <div className="table-scroll">
            <MetricTable metrics={metrics} />
          </div>
        </section>
        <section className="panel" aria-labelledby="pr-heading">
          <h2 id="pr-heading" className="panel__title">
            Precision against recall
          </h2>
          <PrCurveChart curve={evaluation.prCurve} />
        </section>
      </div>
      <div className="evaluation__grid">
        <section className="panel" aria-labelledby="grades-heading">
          <h2 id="grades-heading" className="panel__title">
            By DR grade
          </h2>
          <div className="table-scroll">
            <GradeMetricTable metrics={metrics} />
          </div>
        </section>
        <section className="panel" aria-labelledby="confusion-heading">
          <h2 id="confusion-heading" className="panel__title">
            Which grade the neighbours vote for
          </h2>
          <div className="table-scroll">
            <VoteConfusion confusion={metrics.voteConfusion} />
          </div>
        </section>
      </div>
      <section className="panel" aria-labelledby="map-heading">
        <h2 id="map-heading" className="panel__title">
          Embedding map
        </h2>
        <p className="panel__intro">
          Each point is a photograph, placed by t-SNE so that cases near each other in the model’s embedding lie near each other here. Distances between
          far-apart clusters mean little.
        </p>
        {evaluation.map && evaluation.map.length > 0 ? (
          <EmbeddingMap points={evaluation.map} highlights={highlights} />
        ) : (
          <p className="empty-state" data-testid="map-empty">
            No map was made for this evaluation (<code>--map-points 0</code>).
          </p>
        )}
      </section>
    </div>
  );
}

/** The photograph last searched in this tab, and its results, to mark on the map. */
function useLastSearchHighlights(): MapHighlights {
  const { file, search } = useSearchSession();
  const [querySha256, setQuerySha256] = useState<string | null>(null);
  useEffect(() => {
    let current = true;
    setQuerySha256(null);
    if (file)
      void fileSha256(file).then(
        (sha) => current && setQuerySha256(sha),
        () => undefined,
      );
    return () => {
      current = false;
    };
  }, [file]);
  const results = search.data?.results;
  const resultIds = useMemo(() => new Set((results ?? []).map((hit) => hit.imageId)), [results]);
  return useMemo(() => ({ querySha256, resultIds }), [querySha256, resultIds]);
}

function Fact({ label, value }: { label: string; value: string }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd>{value}</dd>
    </div>
  );
}
