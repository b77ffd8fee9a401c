import { ApiError, type ImageRecord } from '@cbmir/contract';
import { useEffect, useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { useSearchSession } from '../api/search-session.tsx';
import { useImage } from '../api/use-image.ts';
import { useSamePatient } from '../api/use-same-patient.ts';
import { useSimilarCases } from '../api/use-similar-cases.ts';
import { GradeBadge } from '../components/grade-badge.tsx';
import { ResultGrid } from '../components/result-grid.tsx';
import { ErrorMessage, LoadingMessage } from '../components/status-message.tsx';
import { drGradeLabel } from '../domain/dr-grade.ts';
import { eyeLabel, eyePhrase } from '../domain/eye.ts';
import { formatDateTime } from '../domain/format.ts';
import { compareUrl } from '../domain/compare-url.ts';

const SIMILAR_K = 10;

export function CasePage() {
  const { id = '' } = useParams();
  const image = useImage(id);
  const { search } = useSearchSession();

  useEffect(() => {
    document.title = image.data ? `Case ${shortId(image.data.id)} · cbmir` : 'Case · cbmir';
  }, [image.data]);

  return (
    <div className="case-layout">
      <nav className="breadcrumb" aria-label="Breadcrumb">
        <Link to="/">{search.isSuccess ? '← Back to search results' : '← New search'}</Link>
      </nav>
      <div className="live-region" aria-live="polite">
        {image.isPending && <LoadingMessage testId="case-loading">Loading case…</LoadingMessage>}
        {image.isError && <CaseError id={id} error={image.error} />}
      </div>
      {/* Keyed, so that moving from case to case resets per-image state such as the image fallback. */}
      {image.isSuccess && <CaseDetails key={image.data.id} record={image.data} />}
    </div>
  );
}

function CaseError({ id, error }: { id: string; error: Error }) {
  // An id that is unknown, or not even a valid id, is the same thing to the reader: no such case.
  const missing = error instanceof ApiError && (error.status === 404 || error.status === 400);
  if (missing) {
    return (
      <div className="status status--error" role="alert" data-testid="case-not-found">
        <p className="status__title">Case not found</p>
        <p className="status__message">
          No case with id <code>{id}</code> is in the index. It may have been removed, or the link is incomplete.
        </p>
        <p>
          <Link to="/">Start a new search</Link>
        </p>
      </div>
    );
  }
  return <ErrorMessage error={error} title="The case could not be loaded" testId="case-error" />;
}

function CaseDetails({ record }: { record: ImageRecord }) {
  const similar = useSimilarCases(record.id, SIMILAR_K);
  const metadata = Object.entries(record.metadata);

  return (
    <>
      <article className="panel case-panel" aria-labelledby="case-heading" data-testid="case-details">
        <CaseImage record={record} />
        <div className="case-panel__facts">
          <h1 id="case-heading" className="panel__title">
            Case <span className="mono">{shortId(record.id)}</span>
          </h1>
          <GradeBadge grade={record.grade} />
          <dl className="facts">
            <Fact label="DR grade" value={drGradeLabel(record.grade)} testId="case-grade" />
            <Fact label="Eye" value={eyeLabel(record.eye)} testId="case-eye" />
            <Fact label="Patient reference" value={record.patientRef ?? 'not recorded'} testId="case-patient" />
            <Fact label="Source" value={record.source} testId="case-source" />
            <Fact label="Size" value={`${record.width} × ${record.height} px, ${record.format.toUpperCase()}`} testId="case-size" />
            <Fact label="Ingested" value={formatDateTime(record.provenance.ingestedAt)} testId="case-ingested" />
            <Fact label="File" value={record.provenance.fileName ?? 'not recorded'} testId="case-file" />
            <Fact
              label="Ingest job"
              value={record.provenance.jobId ?? 'none (seeded or imported directly)'}
              testId="case-job"
              mono={record.provenance.jobId !== null}
            />
            <Fact label="Image id" value={record.id} mono />
          </dl>
          {metadata.length > 0 && (
            <details className="metadata">
              <summary>Source metadata ({metadata.length})</summary>
              <dl className="facts facts--compact">
                {metadata.map(([key, value]) => (
                  <Fact key={key} label={key} value={typeof value === 'string' ? value : JSON.stringify(value)} />
                ))}
              </dl>
            </details>
          )}
          <p className="case-panel__actions">
            <Link className="button" to={`/?case=${encodeURIComponent(record.id)}`} data-testid="search-with-case">
              Search with this case
            </Link>
            <a className="button button--secondary" href={record.originalUrl} target="_blank" rel="noreferrer">
              Open full-resolution image
            </a>
          </p>
        </div>
      </article>

      {record.patientRef !== null && <SamePatient record={record} />}

      <section className="results-panel" aria-labelledby="similar-heading">
        <h2 id="similar-heading" className="results-panel__title">
          Similar cases
        </h2>
        <div className="live-region" aria-live="polite">
          {similar.isPending && <LoadingMessage testId="similar-loading">Finding similar cases…</LoadingMessage>}
          {similar.isError && <ErrorMessage error={similar.error} title="Similar cases could not be loaded" testId="similar-error" />}
        </div>
        {similar.isSuccess && (
          <ResultGrid
            hits={similar.data.results}
            label={`Cases similar to ${shortId(record.id)}, most similar first`}
            compareHref={(id) => compareUrl(id, record.id)}
          />
        )}
      </section>
    </>
  );
}

/** The patient's other images, the other eye first: the comparison a grader makes first. */
function SamePatient({ record }: { record: ImageRecord }) {
  const others = useSamePatient(record.id, record.patientRef !== null);
  return (
    <section className="panel same-patient" aria-labelledby="same-patient-heading" data-testid="same-patient">
      <h2 id="same-patient-heading" className="panel__title">
        Same patient
      </h2>
      {others.isError && <ErrorMessage error={others.error} title="The patient’s other images could not be loaded" testId="same-patient-error" />}
      {others.isSuccess && others.data.images.length === 0 && <p className="empty-state">No other image of this patient is indexed.</p>}
      {others.isSuccess && others.data.images.length > 0 && (
        <ul className="same-patient__list">
          {others.data.images.map((image) => (
            <li key={image.id}>
              <Link
                to={`/cases/${encodeURIComponent(image.id)}`}
                className="same-patient__link"
                data-testid="same-patient-image"
                data-other-eye={image.eye !== null && record.eye !== null && image.eye !== record.eye ? 'true' : 'false'}
              >
                <img src={image.thumbnailUrl} alt={`Same patient, ${eyePhrase(image.eye)}, DR grade ${drGradeLabel(image.grade)}`} loading="lazy" />
                <span>
                  {image.eye !== null && record.eye !== null && image.eye !== record.eye ? 'Other eye: ' : ''}
                  {eyeLabel(image.eye)} · <GradeBadge grade={image.grade} />
                </span>
              </Link>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}

function CaseImage({ record }: { record: ImageRecord }) {
  // Browsers cannot draw TIFF originals; the server's thumbnail is always a web format.
  const [src, setSrc] = useState(record.originalUrl);
  return (
    <figure className="case-image">
      <img
        src={src}
        alt={`Fundus photograph, ${eyePhrase(record.eye)}, DR grade ${drGradeLabel(record.grade)}`}
        data-testid="case-image"
        onError={() => {
          if (src !== record.thumbnailUrl) setSrc(record.thumbnailUrl);
        }}
      />
    </figure>
  );
}

function Fact({ label, value, testId, mono }: { label: string; value: string; testId?: string; mono?: boolean }) {
  return (
    <div className="facts__row">
      <dt>{label}</dt>
      <dd data-testid={testId} className={mono ? 'mono' : undefined}>
        {value}
      </dd>
    </div>
  );
}

function shortId(id: string): string {
  return id.slice(0, 8);
}
