import type { JobItemStatus, NewJobItem, StoredJob } from '@cbmir/db';
import { readFile } from 'node:fs/promises';
import { EntryError, readArchiveEntries } from '../archives/archive-entries.ts';
import type { ArchiveLimits } from '../archives/archive-limits.ts';
import { contentProblem, displayName, headerProblem, isIgnoredEntry } from '../archives/entry-policy.ts';
import { labelKey, parseLabelFile, type ImageLabel } from '../labels/label-file.ts';
import type { IngestItem, IngestService } from './ingest-service.ts';
import { toJobItemRow } from './job-mapping.ts';

/** The job lost its claim: cancelled, or taken over by another worker. Its batch is rolled back. */
export class JobInterrupted extends Error {
  constructor() {
    super('the job was cancelled or taken over by another worker');
    this.name = 'JobInterrupted';
  }
}

/** Past this many bytes of images a batch is committed early, to bound memory with large images. */
const BATCH_BYTES = 256 * 1024 * 1024;
/** Items (mostly failures, which cost nothing) per commit at most. */
const BATCH_ROWS = 256;

function countByStatus(rows: NewJobItem[]): Partial<Record<JobItemStatus, number>> {
  const counts: Partial<Record<JobItemStatus, number>> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

/**
 * Works through a claimed job from where it stands (next_entry): reads entries one at a time, turns
 * them into batches and hands each batch to the ingest pipeline, whose transaction also records the
 * batch's items and moves next_entry on. A crash loses at most the batch in flight, which the next run
 * redoes; images already stored are found by content hash, so none is stored twice.
 * Returns 'interrupted' when the signal fires or the claim is lost (nothing of the open batch is kept).
 */
export async function runIngestJob(
  deps: {
    ingest: IngestService;
    limits: ArchiveLimits;
    batchSize: number;
    /** The path on this machine of a job's input or label file (jobs store data-dir-relative paths). */
    resolveInput: (path: string) => string;
    /** Tells the job's listeners (progress events) that it changed. */
    changed: (id: string) => void;
    /** Told of every committed batch: its entries by outcome (metrics). */
    onItemsCommitted?: ((counts: Partial<Record<JobItemStatus, number>>) => void) | undefined;
  },
  job: StoredJob,
  context: { workerId: string; signal: AbortSignal },
): Promise<'completed' | 'interrupted'> {
  const { params } = job;
  const labels: Map<string, ImageLabel> = params.labels
    ? parseLabelFile(await readFile(deps.resolveInput(params.labels.path), 'utf8'), params.labels.fileName).labels
    : new Map();
  const skip = new Set(params.skipEntries);
  let committed = job.nextEntry;
  let failures: NewJobItem[] = [];
  let batch: { seq: number; item: IngestItem }[] = [];
  let batchBytes = 0;
  let unlabelled = 0;

  async function flush(nextEntry: number): Promise<void> {
    if (failures.length === 0 && batch.length === 0 && nextEntry === committed) return;
    const expected = committed;
    let committedCounts: Partial<Record<JobItemStatus, number>> = {};
    const pendingFailures = failures;
    const pendingBatch = batch;
    const pendingUnlabelled = unlabelled;
    failures = [];
    batch = [];
    batchBytes = 0;
    unlabelled = 0;
    await deps.ingest.ingestBatch(
      pendingBatch.map((b) => b.item),
      {
        commit: async (tx, outcomes) => {
          const rows = [...pendingFailures, ...outcomes.map((outcome, i) => toJobItemRow(pendingBatch[i]!.seq, outcome))].sort((a, b) => a.seq - b.seq);
          const ok = await tx.jobs.commitProgress(job.id, context.workerId, {
            expectedNextEntry: expected,
            nextEntry,
            items: rows,
            unlabelled: pendingUnlabelled,
          });
          if (!ok) throw new JobInterrupted();
          committedCounts = countByStatus(rows);
        },
      },
    );
    committed = nextEntry;
    deps.onItemsCommitted?.(committedCounts);
    deps.changed(job.id);
  }

  let seen = committed;
  try {
    for await (const entry of readArchiveEntries(deps.resolveInput(params.input.path), params.input.format, deps.limits)) {
      if (context.signal.aborted) return 'interrupted';
      seen = entry.index + 1;
      if (entry.index < committed || skip.has(entry.index) || isIgnoredEntry(entry)) continue;
      const fileName = displayName(entry.name);
      const problem = headerProblem(entry, deps.limits);
      if (problem) {
        failures.push({ seq: entry.index, fileName, status: 'failed', ...problem });
      } else {
        try {
          const bytes = await entry.read(deps.limits.maxEntryBytes);
          const refused = contentProblem(bytes);
          if (refused) {
            failures.push({ seq: entry.index, fileName, status: 'failed', ...refused });
          } else {
            const label = labels.get(labelKey(entry.name));
            if (!label) unlabelled++;
            batch.push({
              seq: entry.index,
              item: {
                fileName,
                bytes,
                grade: label?.grade ?? null,
                eye: label?.eye ?? null,
                patientRef: label?.patientRef ?? null,
                source: params.source,
                metadata: { jobId: job.id },
              },
            });
            batchBytes += bytes.length;
          }
        } catch (error) {
          if (!(error instanceof EntryError)) throw error;
          failures.push({ seq: entry.index, fileName, status: 'failed', code: error.code, reason: error.message });
        }
      }
      if (batch.length >= deps.batchSize || batch.length + failures.length >= BATCH_ROWS || batchBytes >= BATCH_BYTES) {
        await flush(entry.index + 1);
      }
    }
    if (context.signal.aborted) return 'interrupted';
    await flush(seen);
    return 'completed';
  } catch (error) {
    if (error instanceof JobInterrupted) return 'interrupted';
    throw error;
  }
}
