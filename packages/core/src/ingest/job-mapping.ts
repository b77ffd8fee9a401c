import type { Job as JobDto, JobItem as JobItemDto } from '@cbmir/contract';
import type { NewJobItem, StoredJob, StoredJobItem } from '@cbmir/db';
import type { IngestOutcome } from './ingest-service.ts';

// Job rows <-> their REST forms, in one place.

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The REST form of a job (contract Job): counts, rate and ETA of the current run. */
export function toJobDto(job: StoredJob): JobDto {
  const { params } = job;
  const end = job.finishedAt ?? new Date();
  const seconds = job.runStartedAt ? (end.getTime() - job.runStartedAt.getTime()) / 1000 : 0;
  const processed = job.done - job.runStartedDone;
  const rate = job.runStartedAt && seconds > 0 && job.status !== 'queued' ? processed / seconds : null;
  const etaSeconds = job.status === 'running' && rate && rate > 0 && job.total !== null ? Math.max(0, (job.total - job.done) / rate) : null;
  return {
    id: job.id,
    kind: job.kind === 'folder' ? 'folder' : 'archive',
    status: job.status,
    format: params.input.format,
    fileName: params.fileName,
    source: params.source,
    labels: params.labels ? { fileName: params.labels.fileName, layout: params.labels.layout, count: params.labels.count } : null,
    total: job.total,
    done: job.done,
    added: job.added,
    duplicate: job.duplicate,
    failed: job.failed,
    nearDuplicates: job.nearDuplicate,
    unlabelled: job.unlabelled,
    rate: rate === null ? null : Math.round(rate * 100) / 100,
    etaSeconds: etaSeconds === null ? null : Math.round(etaSeconds),
    error: job.error,
    createdBy: job.createdByName,
    createdAt: job.createdAt.toISOString(),
    startedAt: iso(job.startedAt),
    finishedAt: iso(job.finishedAt),
    updatedAt: job.updatedAt.toISOString(),
  };
}

/** The REST form of one entry's outcome (contract JobItem). */
export function toJobItemDto(item: StoredJobItem): JobItemDto {
  return {
    seq: item.seq,
    fileName: item.fileName,
    status: item.status,
    code: item.code,
    reason: item.reason,
    imageId: item.imageId,
    nearDuplicateOf:
      item.nearDuplicateOf && item.nearDuplicateDistance !== null ? { imageId: item.nearDuplicateOf, distance: item.nearDuplicateDistance } : null,
  };
}

/** The job-item row of an entry's ingest outcome. */
export function toJobItemRow(seq: number, outcome: IngestOutcome): NewJobItem {
  if (outcome.status === 'failed') {
    return { seq, fileName: outcome.fileName, status: 'failed', code: outcome.code ?? null, reason: outcome.reason };
  }
  return {
    seq,
    fileName: outcome.fileName,
    status: outcome.status,
    imageId: outcome.imageId,
    nearDuplicateOf: outcome.status === 'added' ? (outcome.nearDuplicateOf?.imageId ?? null) : null,
    nearDuplicateDistance: outcome.status === 'added' ? (outcome.nearDuplicateOf?.distance ?? null) : null,
  };
}
