import { ConflictError, DomainError, InvalidInputError, notFound, TooLargeError, UnprocessableError, UnsupportedMediaError } from '../errors/domain-error.ts';
import { LabelFileError, labelKey, parseLabelFile, type ImageLabel, type LabelLayout } from '../labels/label-file.ts';
import type { FileStore } from '../storage/file-store.ts';
import { EventEmitter } from 'node:events';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { basename, isAbsolute, join } from 'node:path';
import type { Job as JobDto, JobItem as JobItemDto } from '@cbmir/contract';
import type { Database, JobItemStatus, Repositories, JobStatus, NewJobItem, StoredJob, StoredJobItem } from '@cbmir/db';
import { ArchiveError, EntryError, readArchiveEntries, type InputFormat } from '../archives/archive-entries.ts';
import { sniffArchiveFile } from '../archives/archive-format.ts';
import { inspectArchive } from '../archives/archive-inspection.ts';
import type { ArchiveLimits } from '../archives/archive-limits.ts';
import { contentProblem, displayName, headerProblem, isIgnoredEntry } from '../archives/entry-policy.ts';
import type { IngestItem, IngestOutcome, IngestService } from './ingest-service.ts';

/** What a job ingests, stored with it (jobs.params) so that any worker, after any restart, can go on. */
export interface IngestJobParams {
  input: {
    format: InputFormat;
    /** Relative to the data directory when the job owns the file (an upload), else absolute. */
    path: string;
    /** Delete the input when the job ends (uploads); a folder or archive given to the CLI is the user's. */
    owned: boolean;
  };
  fileName: string | null;
  source: string;
  labels: { path: string; fileName: string; layout: LabelLayout; count: number } | null;
  /** Entries of the archive that are its label file(s): not items. */
  skipEntries: number[];
}

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

/** The job lost its claim: cancelled, or taken over by another worker. Its batch is rolled back. */
export class JobInterrupted extends Error {
  constructor() {
    super('the job was cancelled or taken over by another worker');
    this.name = 'JobInterrupted';
  }
}

/**
 * A problem with the job's input that no retry will fix: the job fails at once. A missing input file
 * (ENOENT) is not one of them: with several servers, the one that claimed the job may not see the volume
 * the upload went to; the job is retried (and fails after MAX_ATTEMPTS if the file is really gone).
 */
export const isPermanentJobError = (error: unknown) => error instanceof ArchiveError || error instanceof LabelFileError || error instanceof DomainError;

/** Past this many bytes of images a batch is committed early, to bound memory with large images. */
const BATCH_BYTES = 256 * 1024 * 1024;
/** Items (mostly failures, which cost nothing) per commit at most. */
const BATCH_ROWS = 256;

const ARCHIVE_ERRORS: Record<ArchiveError['code'], typeof TooLargeError | typeof UnprocessableError> = {
  corrupt_archive: UnprocessableError,
  too_many_entries: TooLargeError,
  too_large_uncompressed: TooLargeError,
  compression_ratio: UnprocessableError,
};

function countByStatus(rows: NewJobItem[]): Partial<Record<JobItemStatus, number>> {
  const counts: Partial<Record<JobItemStatus, number>> = {};
  for (const row of rows) counts[row.status] = (counts[row.status] ?? 0) + 1;
  return counts;
}

const iso = (date: Date | null) => (date ? date.toISOString() : null);

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

  async function deleteOwnedFiles(job: StoredJob): Promise<void> {
    const params = job.params as unknown as IngestJobParams;
    if (params.input?.owned) await rm(resolveInput(params.input.path), { force: true, recursive: false });
    if (params.labels) await rm(resolveInput(params.labels.path), { force: true });
  }

  function toDto(job: StoredJob): JobDto {
    const params = job.params as unknown as IngestJobParams;
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

  function toItemDto(item: StoredJobItem): JobItemDto {
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

  function toRow(seq: number, outcome: IngestOutcome): NewJobItem {
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

      let labelSource = request.labels ?? null;
      if (!labelSource && inspection.labelFiles.length > 1) {
        throw new InvalidInputError(
          'ambiguous_labels',
          `the archive holds ${inspection.labelFiles.length} label files (${inspection.labelFiles.map((f) => displayName(f.name)).join(', ')}): send the one to use in the "labels" field`,
        );
      }
      if (!labelSource && inspection.labelFiles[0]) {
        labelSource = { text: inspection.labelFiles[0].text, fileName: displayName(inspection.labelFiles[0].name) };
      }
      let labels: IngestJobParams['labels'] = null;
      if (labelSource) {
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
        labels = { path: labelsPath, fileName: displayName(labelSource.fileName), layout: parsed.layout, count: parsed.labels.size };
      }

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
          params: params as unknown as Record<string, unknown>,
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
     * Works through a claimed job from where it stands (next_entry): reads entries one at a time, turns
     * them into batches and hands each batch to the ingest pipeline, whose transaction also records the
     * batch's items and moves next_entry on. A crash loses at most the batch in flight, which the next run
     * redoes; images already stored are found by content hash, so none is stored twice.
     * Returns 'interrupted' when the signal fires or the claim is lost (nothing of the open batch is kept).
     */
    async run(job: StoredJob, context: { workerId: string; signal: AbortSignal }): Promise<'completed' | 'interrupted'> {
      const params = job.params as unknown as IngestJobParams;
      const labels: Map<string, ImageLabel> = params.labels
        ? parseLabelFile(await readFile(resolveInput(params.labels.path), 'utf8'), params.labels.fileName).labels
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
        await ingest.ingestBatch(
          pendingBatch.map((b) => b.item),
          {
            commit: async (tx, outcomes) => {
              const rows = [...pendingFailures, ...outcomes.map((outcome, i) => toRow(pendingBatch[i]!.seq, outcome))].sort((a, b) => a.seq - b.seq);
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
        changed(job.id);
      }

      let seen = committed;
      try {
        for await (const entry of readArchiveEntries(resolveInput(params.input.path), params.input.format, limits)) {
          if (context.signal.aborted) return 'interrupted';
          seen = entry.index + 1;
          if (entry.index < committed || skip.has(entry.index) || isIgnoredEntry(entry)) continue;
          const fileName = displayName(entry.name);
          const problem = headerProblem(entry, limits);
          if (problem) {
            failures.push({ seq: entry.index, fileName, status: 'failed', ...problem });
          } else {
            try {
              const bytes = await entry.read(limits.maxEntryBytes);
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
    },

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
    toDto,
    toItemDto,
  };
}

export type IngestJobService = ReturnType<typeof ingestJobServiceFactory>;
