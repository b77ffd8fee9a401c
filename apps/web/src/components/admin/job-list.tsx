import type { Job } from '@cbmir/contract';
import { useState } from 'react';
import { Link } from 'react-router-dom';
import { isFinished, useCancelJob, useFailedJobItems, useJobs, useLiveJob } from '../../api/use-jobs.ts';
import { formatCount, formatDateTime, formatDuration } from '../../domain/format.ts';
import { ConfirmDialog } from '../confirm-dialog.tsx';
import { ProgressBar } from '../progress-bar.tsx';
import { QueryError } from '../query-error.tsx';
import { ErrorMessage, LoadingMessage } from '../status-message.tsx';

const STATUS_LABELS: Record<Job['status'], string> = {
  queued: 'Queued',
  running: 'Running',
  completed: 'Completed',
  failed: 'Failed',
  cancelled: 'Cancelled',
};
const STATUS_TONES: Record<Job['status'], string> = {
  queued: 'muted',
  running: 'busy',
  completed: 'ok',
  failed: 'danger',
  cancelled: 'muted',
};

export function JobList() {
  const jobs = useJobs();
  const list = jobs.data?.pages.flatMap((page) => page.jobs) ?? [];
  return (
    <section className="panel table-panel" aria-labelledby="jobs-heading" data-testid="jobs">
      <div className="table-panel__head">
        <h2 id="jobs-heading" className="panel__title">
          Ingest jobs
        </h2>
        <button type="button" className="button button--quiet" onClick={() => void jobs.refetch()} disabled={jobs.isFetching} data-testid="jobs-refresh">
          Refresh
        </button>
      </div>
      <div className="live-region" aria-live="polite">
        {jobs.isPending && <LoadingMessage testId="jobs-loading">Loading jobs…</LoadingMessage>}
        {jobs.isError && !jobs.data && <QueryError error={jobs.error} title="Jobs could not be loaded" testId="jobs-error" />}
      </div>
      {jobs.data && list.length === 0 && (
        <p className="empty-state" data-testid="jobs-empty">
          No archives uploaded yet. Upload one to add its images to the index.
        </p>
      )}
      {list.length > 0 && (
        <ol className="job-list" data-testid="job-list">
          {list.map((job) => (
            <JobRow key={job.id} job={job} />
          ))}
        </ol>
      )}
      {jobs.isFetchNextPageError && <ErrorMessage error={jobs.error} title="Older jobs could not be loaded" />}
      {jobs.hasNextPage && (
        <div className="table-panel__more">
          <button
            type="button"
            className="button button--secondary"
            onClick={() => void jobs.fetchNextPage()}
            disabled={jobs.isFetchingNextPage}
            data-testid="jobs-older"
          >
            {jobs.isFetchingNextPage ? 'Loading…' : 'Show older jobs'}
          </button>
        </div>
      )}
    </section>
  );
}

function JobRow({ job: listed }: { job: Job }) {
  const job = useLiveJob(listed);
  const cancel = useCancelJob();
  const [confirming, setConfirming] = useState(false);
  const [showFailures, setShowFailures] = useState(false);
  const finished = isFinished(job);
  const name = job.fileName ?? job.source;

  return (
    <li className="job" data-testid="job-row" data-job-id={job.id} data-status={job.status}>
      <div className="job__head">
        <h3 className="job__name" title={name}>
          {name}
        </h3>
        <span className={`state state--${STATUS_TONES[job.status]}`} data-testid="job-status">
          {STATUS_LABELS[job.status]}
        </span>
        <span className="job__meta">
          {job.format} · uploaded {formatDateTime(job.createdAt)}
          {job.createdBy ? ` by ${job.createdBy}` : ''}
        </span>
        {!finished && (
          <button
            type="button"
            className="button button--quiet button--quiet-danger job__cancel"
            onClick={() => setConfirming(true)}
            disabled={cancel.isPending}
            data-testid="job-cancel"
          >
            Cancel<span className="visually-hidden"> {name}</span>
          </button>
        )}
      </div>
      <ProgressBar
        value={job.done}
        max={job.total}
        label={`Ingest of ${name}`}
        tone={job.status === 'failed' ? 'danger' : job.status === 'completed' ? 'success' : job.status === 'cancelled' ? 'muted' : 'accent'}
        text={job.total === null ? 'counting files…' : `${formatCount(job.done)} / ${formatCount(job.total)} files`}
        testId="job-progress"
      />
      <dl className="job__counts" data-testid="job-counts">
        <Count label="added" value={job.added} testId="job-added" />
        <Count label="already stored" value={job.duplicate} testId="job-duplicate" />
        <Count label="failed" value={job.failed} testId="job-failed" tone={job.failed > 0 ? 'danger' : undefined} />
        {job.nearDuplicates > 0 && <Count label="near-duplicates" value={job.nearDuplicates} />}
        {job.unlabelled > 0 && <Count label="without a label" value={job.unlabelled} />}
        {job.status === 'running' && job.rate !== null && job.rate > 0 && <Count label="files/s" value={Number(job.rate.toFixed(1))} />}
        {job.status === 'running' && job.etaSeconds !== null && (
          <div className="job__count">
            <dt>left</dt>
            <dd>≈ {formatDuration(job.etaSeconds)}</dd>
          </div>
        )}
      </dl>
      <p className="job__labels">
        {job.labels ? (
          <>
            Labels from <span className="mono">{job.labels.fileName}</span> ({job.labels.layout}, {formatCount(job.labels.count)} rows)
          </>
        ) : (
          'No label file: images are stored with grade unknown.'
        )}
        {' · '}source <span className="mono">{job.source}</span>
      </p>
      {job.error && <ErrorMessage error={new Error(job.error)} title="The job failed" testId="job-error" />}
      {cancel.isError && <ErrorMessage error={cancel.error} title="The job could not be cancelled" />}
      {job.failed > 0 && (
        <div className="job__failures">
          <button
            type="button"
            className="link-button"
            aria-expanded={showFailures}
            onClick={() => setShowFailures((shown) => !shown)}
            data-testid="job-failures-toggle"
          >
            {showFailures ? 'Hide' : 'Show'} the {formatCount(job.failed)} refused {job.failed === 1 ? 'file' : 'files'} and why
          </button>
          {showFailures && <JobFailures jobId={job.id} />}
        </div>
      )}
      <ConfirmDialog
        open={confirming}
        title={`Cancel the ingest of ${name}?`}
        confirmLabel="Cancel the job"
        busy={cancel.isPending}
        onCancel={() => setConfirming(false)}
        onConfirm={() => {
          setConfirming(false);
          cancel.mutate(job.id);
        }}
      >
        <p>The remaining files are not ingested. The {formatCount(job.added)} images stored so far stay in the index.</p>
      </ConfirmDialog>
    </li>
  );
}

function Count({ label, value, testId, tone }: { label: string; value: number; testId?: string; tone?: 'danger' }) {
  return (
    <div className={`job__count${tone ? ` job__count--${tone}` : ''}`}>
      <dt>{label}</dt>
      <dd data-testid={testId}>{formatCount(value)}</dd>
    </div>
  );
}

function JobFailures({ jobId }: { jobId: string }) {
  const items = useFailedJobItems(jobId, true);
  const list = items.data?.pages.flatMap((page) => page.items) ?? [];
  return (
    <div className="job-failures" data-testid="job-failures">
      {items.isPending && <LoadingMessage>Loading refused files…</LoadingMessage>}
      {items.isError && !items.data && <ErrorMessage error={items.error} title="Refused files could not be loaded" />}
      {list.length > 0 && (
        <table className="data-table data-table--dense">
          <thead>
            <tr>
              <th scope="col">#</th>
              <th scope="col">File in the archive</th>
              <th scope="col">Why</th>
            </tr>
          </thead>
          <tbody>
            {list.map((item) => (
              <tr key={item.seq} data-testid="job-failure">
                <td className="numeric">{item.seq + 1}</td>
                <td className="mono wrap-anywhere">{item.fileName}</td>
                <td>
                  {item.reason ?? 'refused'}
                  {item.code && <code className="code-tag">{item.code}</code>}
                  {item.imageId && (
                    <>
                      {' '}
                      <Link to={`/cases/${item.imageId}`}>case</Link>
                    </>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {items.hasNextPage && (
        <button type="button" className="button button--secondary" onClick={() => void items.fetchNextPage()} disabled={items.isFetchingNextPage}>
          {items.isFetchingNextPage ? 'Loading…' : 'Show more refused files'}
        </button>
      )}
    </div>
  );
}
