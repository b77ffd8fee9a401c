import { LabelFileError } from '../labels/label-file.ts';
import type { FileStore } from '../storage/file-store.ts';
import type { Logger } from '../logger.ts';
import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Database, StoredJob } from '@cbmir/db';
import { isPermanentJobError, type IngestJobService } from '../ingest/ingest-jobs.ts';
import { sweepOrphanFiles } from '../storage/orphan-sweep.ts';

/**
 * A job whose runs ended badly this many times in a row without progress -- errors that might pass
 * (database, disk, the embedder), or the server dying while on it (OOM, a native crash, kill -9) -- fails for
 * good, so one poisonous batch cannot crash-loop the server at every start. Progress resets the count.
 */
export const MAX_ATTEMPTS = 3;
/** An upload with no job yet is being received (maybe by another replica); older ones were abandoned. */
const ABANDONED_UPLOAD_MS = 60 * 60 * 1000;

class CrashLoop extends Error {}

/**
 * Runs ingest jobs in the background of the API process, one at a time (the embedder is one queue anyway).
 * It claims a job in the database, renews its lease while it works, and hands it back on shutdown. After a
 * crash the job is resumed: at once with the embedded database (one process by construction), after the
 * lease ran out with PostgreSQL (another replica may still be working on it).
 */
export function jobWorkerFactory(deps: {
  db: Database;
  jobs: IngestJobService;
  leaseSeconds: number;
  /** Embedded PGlite: no other process can hold a job. */
  embedded: boolean;
  log: Logger;
  /** How often an idle worker looks for queued jobs another process created. */
  pollMs?: number;
  /** The data directory's files: swept of leftovers (partial writes, files of uncommitted batches) at start and after each job. */
  files?: FileStore;
  /** Told of every job this worker finished, with its final status (metrics). */
  onFinished?: ((status: 'completed' | 'failed') => void) | undefined;
}) {
  const { db, jobs, log } = deps;
  const workerId = `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
  const pollMs = deps.pollMs ?? 2000;
  let stopping = false;
  let loop: Promise<void> | null = null;
  let wake: (() => void) | null = null;
  let current: AbortController | null = null;

  /** What a thrown value says, with its cause when it has one (a driver error wraps the socket's). */
  function describe(error: unknown): string {
    if (!(error instanceof Error)) return String(error);
    const cause = error.cause instanceof Error && !error.message.includes(error.cause.message) ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }

  /**
   * Runs a claimed job and records how it ended. Never throws: a failure of the job is recorded on it (failed,
   * or given back for a later attempt), and a failure to record that is logged and left to the lease (the
   * job stays claimed by this worker; once the lease runs out a worker claims it again).
   */
  async function execute(job: StoredJob): Promise<StoredJob> {
    const abort = new AbortController();
    current = abort;
    let leaseWarned = false;
    // Renew the lease; when the job is no longer ours (cancelled, taken over), stop at the next entry.
    const heartbeat = setInterval(
      () => {
        db.jobs
          .heartbeat(job.id, workerId)
          .then((held) => {
            leaseWarned = false;
            if (!held) abort.abort();
          })
          .catch((error: unknown) => {
            if (!leaseWarned) log.warn(`job ${job.id}: cannot renew its lease (${describe(error)}); still working on it`);
            leaseWarned = true;
          });
      },
      Math.max(500, (deps.leaseSeconds * 1000) / 3),
    );
    log.info(
      `job ${job.id}: ${job.nextEntry > 0 ? `resuming at entry ${job.nextEntry}` : 'started'}${job.attempts > 0 ? ` (after ${job.attempts} failed attempt(s))` : ''}`,
    );
    let retryIn = 0;
    try {
      let result: 'completed' | 'interrupted';
      try {
        if (job.attempts >= MAX_ATTEMPTS) {
          throw new CrashLoop(
            `the job stopped ${job.attempts} times in a row at entry ${job.nextEntry} without progress (the server was killed or crashed while on it); ` +
              'it was failed so that it cannot stop the server again',
          );
        }
        result = await jobs.run(job, { workerId, signal: abort.signal });
      } catch (error) {
        retryIn = await recordFailure(job, error);
        result = 'interrupted';
      }
      if (result === 'completed') await recordCompleted(job);
      else if (retryIn === 0 && stopping) await recordPaused(job);
      else if (retryIn === 0) log.info(`job ${job.id}: stopped (cancelled or taken over)`);
    } finally {
      clearInterval(heartbeat);
      current = null;
      notifyChanged(job.id);
    }
    if (retryIn > 0) await sleep(retryIn);
    await sweepFiles();
    return (await db.jobs.findById(job.id).catch(() => null)) ?? job;
  }

  async function recordCompleted(job: StoredJob): Promise<void> {
    let finished: StoredJob | null;
    try {
      finished = await db.jobs.finish(job.id, workerId, 'completed');
    } catch (error) {
      log.warn(`job ${job.id}: every entry is stored, but the end could not be recorded (${describe(error)}); it is taken up again when its lease runs out`);
      return;
    }
    if (!finished) return;
    deps.onFinished?.('completed');
    log.info(`job ${job.id}: completed, ${finished.added} added, ${finished.duplicate} duplicate, ${finished.failed} failed`);
    await deleteOwnedFiles(finished);
  }

  async function recordPaused(job: StoredJob): Promise<void> {
    try {
      await db.jobs.release(job.id, workerId);
      log.info(`job ${job.id}: paused for shutdown; it resumes at the next start`);
    } catch (error) {
      log.warn(`job ${job.id}: paused for shutdown, but it could not be handed back (${describe(error)}); it is taken up again when its lease runs out`);
    }
  }

  /**
   * A run of the job threw: fails the job for good (a permanent problem, or the last attempt) or gives it
   * back to the queue for a later attempt. Logs once, with the cause. Returns the back-off before this
   * worker looks for work again (0 when the job was failed, or nothing could be recorded).
   */
  async function recordFailure(job: StoredJob, error: unknown): Promise<number> {
    const message = describe(error);
    const attempt = job.attempts + 1;
    if (isPermanentJobError(error) || error instanceof CrashLoop || attempt >= MAX_ATTEMPTS) {
      // Label-file messages quote file names and lines: they belong in the job's report, not the log.
      const logged = error instanceof LabelFileError ? 'the label file cannot be read' : message;
      let failed: StoredJob | null;
      try {
        failed = await db.jobs.finish(job.id, workerId, 'failed', error instanceof Error ? error.message : String(error));
      } catch (recordError) {
        log.warn(
          `job ${job.id}: attempt ${attempt} ended with an error (${logged}), which could not be recorded (${describe(recordError)}); ` +
            'the job stays claimed and is taken up again when its lease runs out',
        );
        return 0;
      }
      if (failed) {
        deps.onFinished?.('failed');
        log.warn(`job ${job.id}: failed: ${logged}`);
        await deleteOwnedFiles(failed);
      } else {
        log.warn(`job ${job.id}: attempt ${attempt} ended with an error (${logged}) after the job was cancelled or taken over`);
      }
      return 0;
    }
    try {
      await db.jobs.releaseFailed(job.id, workerId);
    } catch (recordError) {
      log.warn(
        `job ${job.id}: attempt ${attempt} failed (${message}) and could not be given back (${describe(recordError)}); ` +
          'it is taken up again when its lease runs out',
      );
      return 0;
    }
    log.warn(`job ${job.id}: attempt ${attempt} failed (${message}); it will be retried`);
    return Math.min(30_000, 1000 * 2 ** attempt);
  }

  async function deleteOwnedFiles(job: StoredJob): Promise<void> {
    await jobs.deleteOwnedFiles(job).catch((error: unknown) => log.warn(`job ${job.id}: cannot delete its upload (${describe(error)})`));
  }

  /** Tells the job's listeners (progress streams); a listener that throws must not stop the worker. */
  function notifyChanged(id: string): void {
    try {
      jobs.changed(id);
    } catch (error) {
      log.warn(`job ${id}: a progress listener failed (${describe(error)})`);
    }
  }

  /**
   * With the embedded database this worker is the only writer of image files (one process; jobs run one at
   * a time, and the sweep runs between them), so every leftover can go. With PostgreSQL another server may
   * be writing a batch into a shared volume: only leftovers older than an hour.
   */
  async function sweepFiles(): Promise<void> {
    if (!deps.files) return;
    try {
      const swept = await sweepOrphanFiles({ db, files: deps.files, olderThanMs: deps.embedded ? 0 : 3600_000 });
      if (swept.partials + swept.orphans > 0) {
        log.info(`removed ${swept.partials} partial file(s) and ${swept.orphans} file(s) of uncommitted batches`);
      }
    } catch (error) {
      log.warn(`job worker: cannot sweep leftover files: ${(error as Error).message}`);
    }
  }

  function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        wake = null;
        resolve();
      }
      wake = done;
    });
  }

  /** The worker's loop: never throws, so a database error costs one round, not the worker (or the process). */
  async function run(): Promise<void> {
    while (!stopping) {
      try {
        const job = await db.jobs.claimNext(workerId, deps.leaseSeconds);
        if (job && !stopping) await execute(job);
        else if (!stopping) await sleep(pollMs);
      } catch (error) {
        log.warn(`job worker: cannot look for or run jobs (${describe(error)}); trying again in ${pollMs} ms`);
        if (!stopping) await sleep(pollMs);
      }
    }
  }

  /** Removes uploads whose job has ended (or that never became a job), e.g. after a crash mid-upload. */
  async function sweepUploads(): Promise<void> {
    const names = await readdir(jobs.uploadsDir).catch(() => [] as string[]);
    if (names.length === 0) return;
    const unfinished = await db.jobs.unfinishedIds();
    for (const name of names) {
      const id = /^([0-9a-f-]{36})\./.exec(name)?.[1];
      if (!id || unfinished.has(id)) continue;
      const path = join(jobs.uploadsDir, name);
      const exists = await db.jobs.findById(id).catch(() => null);
      const age = Date.now() - ((await stat(path).catch(() => null))?.mtimeMs ?? Date.now());
      if (exists || age > ABANDONED_UPLOAD_MS) await rm(path, { force: true }).catch(() => undefined);
    }
  }

  return {
    workerId,

    /** Resumes interrupted jobs and starts taking queued ones. */
    async start(): Promise<void> {
      if (loop) return;
      stopping = false;
      if (deps.embedded) {
        const requeued = await db.jobs.requeueRunning();
        if (requeued > 0) log.info(`resuming ${requeued} interrupted ingest job(s)`);
      }
      await sweepUploads().catch((error: Error) => log.warn(`job worker: cannot clean uploads: ${error.message}`));
      await sweepFiles();
      loop = run();
    },

    /** A job was queued: look now rather than at the next poll. */
    wake(): void {
      wake?.();
    },

    /** Runs one job in the foreground (the CLI), claimed by this worker already or claimable now. */
    async runJob(job: StoredJob): Promise<StoredJob> {
      if (job.workerId !== workerId && deps.embedded) await db.jobs.requeueRunning();
      const claimed = job.workerId === workerId && job.status === 'running' ? job : await db.jobs.claim(job.id, workerId, deps.leaseSeconds);
      if (!claimed) {
        throw new Error(`job ${job.id} is being run by another process (or by one that stopped less than CBMIR_JOB_LEASE_SECONDS ago)`);
      }
      return execute(claimed);
    },

    /** Stops after the batch in flight and hands the job back, to be resumed at the next start. */
    async stop(): Promise<void> {
      stopping = true;
      current?.abort();
      wake?.();
      await loop;
      loop = null;
    },
  };
}

export type JobWorker = ReturnType<typeof jobWorkerFactory>;
