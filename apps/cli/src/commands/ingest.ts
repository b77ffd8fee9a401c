import { randomUUID } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, resolve } from 'node:path';
import type { CbmirServices } from '@cbmir/core';
import type { StoredJob } from '@cbmir/db';
import { createProgress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

type Job = ReturnType<CbmirServices['jobs']['toDto']>;
type JobItem = ReturnType<CbmirServices['jobs']['toItemDto']>;

export interface IngestReport {
  job: Job;
  failed: JobItem[];
  nearDuplicates: JobItem[];
}

async function allItems(services: CbmirServices, jobId: string, filter: { status?: 'failed'; nearDuplicate?: boolean }): Promise<JobItem[]> {
  const items: JobItem[] = [];
  let after: number | undefined;
  for (;;) {
    const page = await services.jobs.items(jobId, { ...filter, after, limit: 500 });
    items.push(...page.map(services.jobs.toItemDto));
    if (page.length < 500) return items;
    after = page[page.length - 1]!.seq;
  }
}

/** An ingest of this same input that a killed run left unfinished: it is resumed, not started over. */
async function unfinishedJobFor(services: CbmirServices, inputPath: string): Promise<StoredJob | null> {
  for (const status of ['running', 'queued'] as const) {
    const jobs = await services.db.jobs.list({ status, limit: 100 });
    const match = jobs.find((job) => job.params.input.path === inputPath);
    if (match) return match;
  }
  return null;
}

/**
 * `cbmir ingest <folder|archive> [--labels file] [--source name]`: the same job service as an upload to
 * the server (same entry checks, same pipeline, same report), run in the foreground with a progress bar.
 * Idempotent by content hash; a run that was killed is resumed by running the same command again.
 */
export async function ingestInput(
  services: CbmirServices,
  options: { input: string; labels?: string | undefined; source?: string | undefined },
): Promise<IngestReport> {
  const inputPath = resolve(options.input);
  if (!(await stat(inputPath).catch(() => null))) throw new UsageError(`no such folder or archive: ${options.input}`);
  let job = await unfinishedJobFor(services, inputPath);
  if (job) {
    console.error(`resuming the unfinished ingest of ${options.input} (${job.done}/${job.total ?? '?'} done)`);
  } else {
    const labels = options.labels
      ? {
          text: await readFile(options.labels, 'utf8').catch(() => {
            throw new UsageError(`cannot read the labels file ${options.labels}`);
          }),
          fileName: basename(options.labels),
        }
      : null;
    // A refused input (not an archive, bad labels...) is a domain error: exit code 2 (exit-code.ts).
    job = await services.jobs.create({
      id: randomUUID(),
      inputPath,
      owned: false,
      fileName: basename(inputPath),
      source: options.source ?? null,
      labels,
      createdBy: { id: 'cli', name: 'cbmir ingest (CLI)' },
      claimedBy: services.jobWorker.workerId,
      // Like an upload, the job and its audit row commit together.
      audit: (tx, created) =>
        services.audit.recordSystemIn(tx, {
          action: 'archive.ingest',
          targetType: 'job',
          targetId: created.id,
          details: { via: 'cli', input: inputPath, format: created.params.input.format, files: created.total },
        }),
    });
  }

  const id = job.id;
  const progress = createProgress('ingest', job.total ?? 0);
  const status = (j: StoredJob) => `added ${j.added}, skipped ${j.duplicate}, failed ${j.failed}`;
  progress.update(job.done, status(job));
  const unsubscribe = services.jobs.onChange(id, () => {
    void services.db.jobs.findById(id).then((current) => current && progress.update(current.done, status(current)));
  });
  let finished: StoredJob;
  try {
    finished = await services.jobWorker.runJob(job);
  } finally {
    unsubscribe();
    progress.stop();
  }
  return {
    job: services.jobs.toDto(finished),
    failed: await allItems(services, id, { status: 'failed' }),
    nearDuplicates: await allItems(services, id, { nearDuplicate: true }),
  };
}

/** The report the API gives (GET /jobs/:id and its items), as text. */
export function formatIngestReport(report: IngestReport): string {
  const { job } = report;
  const lines = [`added ${job.added}, skipped ${job.duplicate} (already stored), failed ${job.failed}${job.total !== null ? ` of ${job.total}` : ''}`];
  if (job.status === 'failed') lines.push(`the ingest stopped: ${job.error}`);
  if (job.labels) {
    lines.push(
      `labels: ${job.labels.fileName} (${job.labels.layout}, ${job.labels.count} rows); ${job.unlabelled} image(s) had no label (stored with grade unknown)`,
    );
  }
  if (report.nearDuplicates.length > 0) {
    lines.push(`near-duplicates: ${report.nearDuplicates.length} (stored, and flagged on the image)`);
    for (const item of report.nearDuplicates.slice(0, 50)) {
      lines.push(`  ${item.fileName} is close to image ${item.nearDuplicateOf!.imageId} (distance ${item.nearDuplicateOf!.distance.toFixed(3)})`);
    }
    if (report.nearDuplicates.length > 50) lines.push(`  ... and ${report.nearDuplicates.length - 50} more`);
  }
  for (const failure of report.failed.slice(0, 50)) lines.push(`  failed ${failure.fileName}: ${failure.reason}`);
  if (report.failed.length > 50) lines.push(`  ... and ${report.failed.length - 50} more (GET /api/v1/jobs/${job.id}/items?status=failed)`);
  return lines.join('\n');
}
