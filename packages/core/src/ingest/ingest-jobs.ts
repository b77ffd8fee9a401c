import { ConflictError, DomainError, InvalidInputError, notFound, TooLargeError, UnprocessableError, UnsupportedMediaError } from '../errors/domain-error.ts';
import { LabelFileError, parseLabelFile } from '../labels/label-file.ts';
import type { FileStore } from '../storage/file-store.ts';
import { EventEmitter } from 'node:events';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Database, IngestJobParams, JobItemStatus, Repositories, JobStatus, StoredJob } from '@cbmir/db';
import { ArchiveError, type InputFormat } from '../archives/archive-entries.ts';
import { sniffArchiveFile } from '../archives/archive-format.ts';
import { inspectArchive } from '../archives/archive-inspection.ts';
import type { ArchiveLimits } from '../archives/archive-limits.ts';
import { displayName } from '../archives/entry-policy.ts';
import type { IngestService } from './ingest-service.ts';
import { JobInterrupted, runIngestJob } from './ingest-job-run.ts';
import { toJobDto, toJobItemDto } from './job-mapping.ts';

export { JobInterrupted };

export interface CreateIngestJob {
  id: string;
  /** The archive file or folder. */
  inputPath: string;
  /** The job deletes the input when done (an upload under CBMIR_DATA_DIR/uploads). */
  owned: boolean;
  fileName?: string | null;
  source?: string | null;
  /** A label file given separately (form field, --labels); else one found in the archive is used. */
  labels?: { text: string; fileName: string } | null;
  createdBy?: { id: string; name: string } | null;
  /** Create it already claimed by this worker (the CLI runs its job itself). */
  claimedBy?: string;
  /** Writes the job's audit row in the transaction that creates it: both are stored or neither. */
  audit?: (tx: Repositories, job: StoredJob) => Promise<void>;
}

/**
 * A problem with the job's input that no retry will fix: the job fails at once. A missing input file
 * (ENOENT) is not one of them: with several servers, the one that claimed the job may not see the volume
 * the upload went to; the job is retried (and fails after MAX_ATTEMPTS if the file is really gone).
 */
export const isPermanentJobError = (error: unknown) => error instanceof ArchiveError || error instanceof LabelFileError || error instanceof DomainError;

const ARCHIVE_ERRORS: Record<ArchiveError['code'], typeof TooLargeError | typeof UnprocessableError> = {
  corrupt_archive: UnprocessableError,
  too_many_entries: TooLargeError,
  too_large_uncompressed: TooLargeError,
  compression_ratio: UnprocessableError,
};

/**
 * Ingest jobs: creating one from an archive or folder (inspected first, so a bad archive is refused before
 * anything is stored), running one (entry by entry, in batches through the ingest pipeline, each batch
 * committed atomically with the job's progress), cancelling, and reporting.
 */
export function ingestJobServiceFactory(deps: {
  db: Database;
  files: FileStore;
  ingest: IngestService;
  limits: ArchiveLimits;
  batchSize: number;
  /** Told of every committed batch: its entries by outcome (metrics). */
  onItemsCommitted?: ((counts: Partial<Record<JobItemStatus, number>>) => void) | undefined;
}) {
  const { db, files, ingest, limits } = deps;
  const uploadsDir = files.absolute('uploads');
  const changes = new EventEmitter();
  changes.setMaxListeners(0);
  const changed = (id: string) => changes.emit(id);
  const resolveInput = (path: string) => (isAbsolute(path) ? path : files.absolute(path));

  /**
   * The job's labels: the file given with the request, else the one label file found in the archive (two are
   * refused as ambiguous). A copy is kept under uploads/ that lives and dies with the job.
   */
  async function keepJobLabels(request: CreateIngestJob, labelFiles: { name: string; text: string }[]): Promise<IngestJobParams['labels']> {
    let labelSource = request.labels ?? null;
    if (!labelSource && labelFiles.length > 1) {
      throw new InvalidInputError(
        'ambiguous_labels',
        `the archive holds ${labelFiles.length} label files (${labelFiles.map((f) => displayName(f.name)).join(', ')}): send the one to use in the "labels" field`,
      );
    }
    if (!labelSource && labelFiles[0]) {
      labelSource = { text: labelFiles[0].text, fileName: displayName(labelFiles[0].name) };
    }
    if (!labelSource) return null;
    let parsed;
    try {
      parsed = parseLabelFile(labelSource.text, labelSource.fileName);
    } catch (error) {
      if (error instanceof LabelFileError) throw new InvalidInputError('invalid_labels', error.message);
      throw error;
    }
    // A copy that lives and dies with the job, so a resumed job reads the very same labels.
    await mkdir(uploadsDir, { recursive: true });
    const labelsPath = join('uploads', `${request.id}.labels.csv`);
    await writeFile(files.absolute(labelsPath), labelSource.text);
    return { path: labelsPath, fileName: displayName(labelSource.fileName), layout: parsed.layout, count: parsed.labels.size };
  }

  async function deleteOwnedFiles(job: StoredJob): Promise<void> {
    const { params } = job;
    if (params.input?.owned) await rm(resolveInput(params.input.path), { force: true, recursive: false });
    if (params.labels) await rm(resolveInput(params.labels.path), { force: true });
  }

  return {
    uploadsDir,

    /** Where an upload for job `id` is received (never a client-chosen name). */
    async uploadPath(id: string): Promise<string> {
      await mkdir(uploadsDir, { recursive: true });
      return join(uploadsDir, `${id}.archive`);
    },

    /**
     * Inspects the input and creates its job (queued, or claimed by `claimedBy`). Refuses, with a 4xx
     * domain error, what is not an archive, breaks a limit, is corrupt, holds nothing, or brings bad labels.
     */
    async create(request: CreateIngestJob): Promise<StoredJob> {
      const inputStat = await stat(request.inputPath).catch(() => null);
      if (!inputStat) throw new InvalidInputError('not_found', `no such file or folder: ${request.inputPath}`);
      const format: InputFormat | null = inputStat.isDirectory() ? 'folder' : await sniffArchiveFile(request.inputPath);
      if (!format) throw new UnsupportedMediaError('not_an_archive', 'not a zip, tar or tar.gz archive');
      if (format !== 'folder' && inputStat.size > limits.maxUploadBytes) {
        throw new TooLargeError('too_large', `the archive is larger than ${Math.round(limits.maxUploadBytes / 1024 / 1024)} MB (CBMIR_ARCHIVE_MAX_UPLOAD_MB)`);
      }
      let inspection;
      try {
        inspection = await inspectArchive(request.inputPath, format, limits);
      } catch (error) {
        if (error instanceof ArchiveError) throw new ARCHIVE_ERRORS[error.code](error.code, error.message);
        throw error;
      }
      if (inspection.items === 0) throw new UnprocessableError('empty_archive', 'the archive holds no files (only folders or a label file)');

      const labels = await keepJobLabels(request, inspection.labelFiles);

      const inputPath = request.owned ? files.relative(request.inputPath) : request.inputPath;
      // Client-given names are shown, never used as paths: only made printable here.
      const fileName = displayName(request.fileName ?? basename(request.inputPath));
      const params: IngestJobParams = {
        input: { format, path: inputPath, owned: request.owned },
        fileName,
        source: request.source || fileName.replace(/\.(zip|tar|tar\.gz|tgz)$/i, '') || 'archive',
        labels,
        skipEntries: inspection.labelFiles.map((f) => f.index),
      };
      const job = await db.transaction(async (tx) => {
        const created = await tx.jobs.create({
          id: request.id,
          kind: format === 'folder' ? 'folder' : 'archive',
          params,
          total: inspection.items,
          createdBy: request.createdBy?.id ?? null,
          createdByName: request.createdBy?.name ?? null,
          ...(request.claimedBy ? { claimedBy: request.claimedBy } : {}),
        });
        await request.audit?.(tx, created);
        return created;
      });
      changed(job.id);
      return job;
    },

    /**
     * Works through a claimed job from where it stands (runIngestJob). Returns 'interrupted' when the signal
     * fires or the claim is lost (nothing of the open batch is kept).
     */
    run: (job: StoredJob, context: { workerId: string; signal: AbortSignal }) =>
      runIngestJob({ ingest, limits, batchSize: deps.batchSize, resolveInput, changed, onItemsCommitted: deps.onItemsCommitted }, job, context),

    /** Deletes the files a finished job owned (its upload and its copy of the labels). */
    deleteOwnedFiles,

    async get(id: string): Promise<StoredJob> {
      const job = await db.jobs.findById(id);
      if (!job) throw notFound('job');
      return job;
    },

    list: (filter: { status?: JobStatus | undefined; before?: string | undefined; limit: number }) => db.jobs.list(filter),

    async items(id: string, filter: { status?: JobItemStatus | undefined; nearDuplicate?: boolean | undefined; after?: number | undefined; limit: number }) {
      await this.get(id);
      return db.jobs.items(id, filter);
    },

    /** Cancels a queued or running job; what it stored so far stays. A finished job: 409. */
    async cancel(id: string, audit?: (tx: Repositories, job: StoredJob) => Promise<void>): Promise<StoredJob> {
      // The audit row (if any) commits with the cancellation or not at all.
      const cancelled = await db.transaction(async (tx) => {
        const job = await tx.jobs.cancel(id);
        if (job) await audit?.(tx, job);
        return job;
      });
      if (!cancelled) {
        const job = await this.get(id);
        throw new ConflictError('job_finished', `the job has already ${job.status === 'completed' ? 'completed' : job.status}`);
      }
      // A worker still reading the file keeps its open handle; it stops at its next commit or heartbeat.
      await deleteOwnedFiles(cancelled).catch(() => undefined);
      changed(id);
      return cancelled;
    },

    /** Calls `listener` whenever this process changes the job (progress, end, cancel). Returns the unsubscribe. */
    onChange(id: string, listener: () => void): () => void {
      changes.on(id, listener);
      return () => changes.off(id, listener);
    },

    changed,
    toDto: toJobDto,
    toItemDto: toJobItemDto,
  };
}

export type IngestJobService = ReturnType<typeof ingestJobServiceFactory>;
