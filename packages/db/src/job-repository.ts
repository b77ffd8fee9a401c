import type { Job } from '@cbmir/contract';
import type { SqlClient } from './sql-client.ts';

export type JobStatus = 'queued' | 'running' | 'completed' | 'failed' | 'cancelled';
export type JobItemStatus = 'added' | 'duplicate' | 'failed';

export const FINISHED_JOB_STATUSES: readonly JobStatus[] = ['completed', 'failed', 'cancelled'];

/** What an ingest job ingests (the jobs.params JSON column), so that any worker, after any restart, can go on. */
export interface IngestJobParams {
  input: {
    format: Job['format'];
    /** Relative to the data directory when the job owns the file (an upload), else absolute. */
    path: string;
    /** Delete the input when the job ends (uploads); a folder or archive given to the CLI is the user's. */
    owned: boolean;
  };
  fileName: string | null;
  source: string;
  labels: { path: string; fileName: string; layout: NonNullable<Job['labels']>['layout']; count: number } | null;
  /** Entries of the archive that are its label file(s): not items. */
  skipEntries: number[];
}

export interface NewJob {
  id: string;
  kind: string;
  params: IngestJobParams;
  total: number | null;
  createdBy?: string | null;
  createdByName?: string | null;
  /** Create it already claimed by this worker (a CLI run that does the work itself). */
  claimedBy?: string;
}

export interface StoredJob {
  id: string;
  kind: string;
  status: JobStatus;
  params: IngestJobParams;
  total: number | null;
  nextEntry: number;
  done: number;
  added: number;
  duplicate: number;
  failed: number;
  nearDuplicate: number;
  unlabelled: number;
  error: string | null;
  createdBy: string | null;
  createdByName: string | null;
  workerId: string | null;
  heartbeatAt: Date | null;
  attempts: number;
  runStartedAt: Date | null;
  runStartedDone: number;
  createdAt: Date;
  startedAt: Date | null;
  finishedAt: Date | null;
  updatedAt: Date;
}

export interface NewJobItem {
  seq: number;
  fileName: string;
  status: JobItemStatus;
  code?: string | null;
  reason?: string | null;
  imageId?: string | null;
  nearDuplicateOf?: string | null;
  nearDuplicateDistance?: number | null;
}

export interface StoredJobItem extends Required<NewJobItem> {
  jobId: string;
  createdAt: Date;
}

/** One batch's worth of progress, committed together with the batch's images. */
export interface JobProgress {
  /** next_entry the worker read before the batch: the commit fails if someone else moved it meanwhile. */
  expectedNextEntry: number;
  nextEntry: number;
  items: NewJobItem[];
  unlabelled: number;
}

interface JobRow {
  id: string;
  kind: string;
  status: JobStatus;
  params: IngestJobParams | string;
  total: number | null;
  next_entry: number;
  done: number;
  added: number;
  duplicate: number;
  failed: number;
  near_duplicate: number;
  unlabelled: number;
  error: string | null;
  created_by: string | null;
  created_by_name: string | null;
  worker_id: string | null;
  heartbeat_at: Date | string | null;
  attempts: number;
  run_started_at: Date | string | null;
  run_started_done: number;
  created_at: Date | string;
  started_at: Date | string | null;
  finished_at: Date | string | null;
  updated_at: Date | string;
}

interface JobItemRow {
  job_id: string;
  seq: number;
  file_name: string;
  status: JobItemStatus;
  code: string | null;
  reason: string | null;
  image_id: string | null;
  near_duplicate_of: string | null;
  near_duplicate_distance: number | string | null;
  created_at: Date | string;
}

const date = (value: Date | string | null): Date | null => (value === null ? null : new Date(value));

function toJob(row: JobRow): StoredJob {
  return {
    id: row.id,
    kind: row.kind,
    status: row.status,
    // Typed here, at the edge: the column is written only by create() below, from an IngestJobParams.
    params: typeof row.params === 'string' ? (JSON.parse(row.params) as IngestJobParams) : row.params,
    total: row.total,
    nextEntry: row.next_entry,
    done: row.done,
    added: row.added,
    duplicate: row.duplicate,
    failed: row.failed,
    nearDuplicate: row.near_duplicate,
    unlabelled: row.unlabelled,
    error: row.error,
    createdBy: row.created_by,
    createdByName: row.created_by_name,
    workerId: row.worker_id,
    heartbeatAt: date(row.heartbeat_at),
    attempts: row.attempts,
    runStartedAt: date(row.run_started_at),
    runStartedDone: row.run_started_done,
    createdAt: new Date(row.created_at),
    startedAt: date(row.started_at),
    finishedAt: date(row.finished_at),
    updatedAt: new Date(row.updated_at),
  };
}

function toItem(row: JobItemRow): StoredJobItem {
  return {
    jobId: row.job_id,
    seq: row.seq,
    fileName: row.file_name,
    status: row.status,
    code: row.code,
    reason: row.reason,
    imageId: row.image_id,
    nearDuplicateOf: row.near_duplicate_of,
    nearDuplicateDistance: row.near_duplicate_distance === null ? null : Number(row.near_duplicate_distance),
    createdAt: new Date(row.created_at),
  };
}

/**
 * What a worker sets when it takes a job (first start or resume). `attempts` counts runs that ended badly
 * without progress since: a claim does not count, but taking over a job whose worker went silent does (that
 * run died -- killed, out of memory, a native crash). Progress resets it (commitProgress).
 */
const CLAIM_SET = `status = 'running', worker_id = $1, heartbeat_at = now(),
  attempts = attempts + CASE WHEN status = 'running' THEN 1 ELSE 0 END,
  started_at = COALESCE(started_at, now()), run_started_at = now(), run_started_done = done, updated_at = now()`;

/**
 * The job queue and its per-file report. A job is claimed by one worker at a time: worker_id plus a
 * heartbeat that the worker renews; a running job whose heartbeat is older than the lease is taken over by
 * the next worker that asks. Every write a worker makes is fenced by its worker id, so a worker that lost
 * its lease (or whose job was cancelled) cannot write progress any more.
 */
export function jobRepositoryFactory(db: SqlClient) {
  return {
    async create(job: NewJob): Promise<StoredJob> {
      const claimed = job.claimedBy !== undefined;
      const rows = await db.query<JobRow>(
        `INSERT INTO jobs (id, kind, status, params, total, created_by, created_by_name, worker_id, heartbeat_at,
                           attempts, started_at, run_started_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, ${claimed ? 'now()' : 'NULL'}, 0,
                 ${claimed ? 'now()' : 'NULL'}, ${claimed ? 'now()' : 'NULL'})
         RETURNING *`,
        [
          job.id,
          job.kind,
          claimed ? 'running' : 'queued',
          JSON.stringify(job.params),
          job.total,
          job.createdBy ?? null,
          job.createdByName ?? null,
          job.claimedBy ?? null,
        ],
      );
      return toJob(rows[0]!);
    },

    async findById(id: string): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(`SELECT * FROM jobs WHERE id = $1`, [id]);
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** Newest first; pass the last id of a page as `before` for the next page. */
    async list(filter: { status?: JobStatus | undefined; before?: string | undefined; limit: number }): Promise<StoredJob[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      if (filter.status) {
        params.push(filter.status);
        where.push(`status = $${params.length}`);
      }
      if (filter.before) {
        params.push(filter.before);
        where.push(`(created_at, id) < (SELECT created_at, id FROM jobs WHERE id = $${params.length})`);
      }
      params.push(filter.limit);
      const rows = await db.query<JobRow>(
        `SELECT * FROM jobs ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY created_at DESC, id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toJob);
    },

    /**
     * Takes the oldest queued job, or a running one whose worker stopped renewing its lease. SKIP LOCKED lets
     * several workers (API replicas on one PostgreSQL server) ask at once without taking the same job.
     */
    async claimNext(workerId: string, leaseSeconds: number): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(
        `UPDATE jobs SET ${CLAIM_SET}
         WHERE id = (
           SELECT id FROM jobs
           WHERE status = 'queued'
              OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $2)))
           ORDER BY created_at, id
           LIMIT 1
           FOR UPDATE SKIP LOCKED)
         RETURNING *`,
        [workerId, leaseSeconds],
      );
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** Takes one particular job if it is queued (or its lease ran out). */
    async claim(id: string, workerId: string, leaseSeconds: number): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(
        `UPDATE jobs SET ${CLAIM_SET}
         WHERE id = $3 AND (status = 'queued'
            OR (status = 'running' AND (heartbeat_at IS NULL OR heartbeat_at < now() - make_interval(secs => $2))))
         RETURNING *`,
        [workerId, leaseSeconds, id],
      );
      return rows[0] ? toJob(rows[0]) : null;
    },

    /**
     * Embedded database only (one process by construction): every running job belongs to a process that
     * is gone, so it can be queued again at once instead of waiting for its lease to run out. That run
     * died, so it counts as a failed attempt (a batch that kills the server must not crash-loop it).
     */
    async requeueRunning(): Promise<number> {
      const rows = await db.query<{ id: string }>(
        `UPDATE jobs SET status = 'queued', worker_id = NULL, attempts = attempts + 1, updated_at = now()
         WHERE status = 'running' RETURNING id`,
      );
      return rows.length;
    },

    /** Renews the lease; null when the worker no longer holds the job (cancelled, or taken over). */
    async heartbeat(id: string, workerId: string): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(`UPDATE jobs SET heartbeat_at = now() WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING *`, [
        id,
        workerId,
      ]);
      return rows[0] ? toJob(rows[0]) : null;
    },

    /**
     * Records a batch: its items and the counters, and moves next_entry on. Returns false, writing nothing,
     * when the worker does not hold the job any more or next_entry is not where it left it. Meant to run in
     * the transaction that stores the batch's images, so both commit or neither does.
     */
    async commitProgress(id: string, workerId: string, progress: JobProgress): Promise<boolean> {
      const count = (status: JobItemStatus) => progress.items.filter((item) => item.status === status).length;
      const near = progress.items.filter((item) => item.nearDuplicateOf).length;
      const updated = await db.query<{ id: string }>(
        `UPDATE jobs SET next_entry = $4, done = done + $5, added = added + $6, duplicate = duplicate + $7,
                         failed = failed + $8, near_duplicate = near_duplicate + $9, unlabelled = unlabelled + $10,
                         attempts = 0, heartbeat_at = now(), updated_at = now()
         WHERE id = $1 AND worker_id = $2 AND status = 'running' AND next_entry = $3
         RETURNING id`,
        [
          id,
          workerId,
          progress.expectedNextEntry,
          progress.nextEntry,
          progress.items.length,
          count('added'),
          count('duplicate'),
          count('failed'),
          near,
          progress.unlabelled,
        ],
      );
      if (updated.length === 0) return false;
      // One multi-row INSERT per batch; a batch holds at most a few hundred items.
      const columns = 9;
      for (let start = 0; start < progress.items.length; start += 500) {
        const chunk = progress.items.slice(start, start + 500);
        const params: unknown[] = [];
        const values = chunk.map((item, i) => {
          params.push(
            id,
            item.seq,
            item.fileName,
            item.status,
            item.code ?? null,
            item.reason ?? null,
            item.imageId ?? null,
            item.nearDuplicateOf ?? null,
            item.nearDuplicateDistance ?? null,
          );
          return `(${Array.from({ length: columns }, (_, c) => `$${i * columns + c + 1}`).join(', ')})`;
        });
        await db.query(
          `INSERT INTO job_items (job_id, seq, file_name, status, code, reason, image_id, near_duplicate_of, near_duplicate_distance)
           VALUES ${values.join(', ')}`,
          params,
        );
      }
      return true;
    },

    /** Ends a job the worker holds: completed, or failed with the reason. */
    async finish(id: string, workerId: string, status: 'completed' | 'failed', error: string | null = null): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(
        `UPDATE jobs SET status = $3, error = $4, finished_at = now(), updated_at = now(), heartbeat_at = NULL
         WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING *`,
        [id, workerId, status, error],
      );
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** A run failed for a reason that may pass: counts the attempt and gives the job back to the queue. */
    async releaseFailed(id: string, workerId: string): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(
        `UPDATE jobs SET status = 'queued', worker_id = NULL, heartbeat_at = NULL, attempts = attempts + 1, updated_at = now()
         WHERE id = $1 AND worker_id = $2 AND status = 'running' RETURNING *`,
        [id, workerId],
      );
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** Gives a job back to the queue (graceful shutdown): the next worker resumes it at once. */
    async release(id: string, workerId: string): Promise<void> {
      await db.query(
        `UPDATE jobs SET status = 'queued', worker_id = NULL, heartbeat_at = NULL, updated_at = now()
         WHERE id = $1 AND worker_id = $2 AND status = 'running'`,
        [id, workerId],
      );
    },

    /** Cancels a queued or running job; null when there is no such job or it has already finished. */
    async cancel(id: string): Promise<StoredJob | null> {
      const rows = await db.query<JobRow>(
        `UPDATE jobs SET status = 'cancelled', finished_at = now(), updated_at = now()
         WHERE id = $1 AND status IN ('queued', 'running') RETURNING *`,
        [id],
      );
      return rows[0] ? toJob(rows[0]) : null;
    },

    /** Ids of unfinished jobs (for sweeping files that belong to no live job). */
    async unfinishedIds(): Promise<Set<string>> {
      const rows = await db.query<{ id: string }>(`SELECT id FROM jobs WHERE status IN ('queued', 'running')`);
      return new Set(rows.map((row) => row.id));
    },

    /** Jobs per status (every status, 0 where none): the queue depth that /metrics reports. */
    async countByStatus(): Promise<Record<JobStatus, number>> {
      const rows = await db.query<{ status: JobStatus; n: number }>(`SELECT status, count(*)::int AS n FROM jobs GROUP BY status`);
      const counts: Record<JobStatus, number> = { queued: 0, running: 0, completed: 0, failed: 0, cancelled: 0 };
      for (const row of rows) counts[row.status] = Number(row.n);
      return counts;
    },

    /** A job's items in archive order, filtered; pass the last seq of a page as `after` for the next. */
    async items(
      jobId: string,
      filter: { status?: JobItemStatus | undefined; nearDuplicate?: boolean | undefined; after?: number | undefined; limit: number },
    ): Promise<StoredJobItem[]> {
      const where = ['job_id = $1'];
      const params: unknown[] = [jobId];
      if (filter.status) {
        params.push(filter.status);
        where.push(`status = $${params.length}`);
      }
      if (filter.nearDuplicate !== undefined) where.push(`near_duplicate_of IS ${filter.nearDuplicate ? 'NOT ' : ''}NULL`);
      if (filter.after !== undefined) {
        params.push(filter.after);
        where.push(`seq > $${params.length}`);
      }
      params.push(filter.limit);
      const rows = await db.query<JobItemRow>(`SELECT * FROM job_items WHERE ${where.join(' AND ')} ORDER BY seq LIMIT $${params.length}`, params);
      return rows.map(toItem);
    },
  };
}

export type JobRepository = ReturnType<typeof jobRepositoryFactory>;
