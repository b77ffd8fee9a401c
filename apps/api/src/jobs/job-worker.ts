import { randomUUID } from 'node:crypto';
import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';
import type { Database, StoredJob } from '@cbmir/db';
import { LabelFileError } from '../archives/label-file.ts';
import type { Logger } from '../services/model-runtime.ts';
import { isPermanentJobError, type IngestJobService } from '../services/ingest-jobs.ts';
import type { FileStore } from '../storage/file-store.ts';
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

  async function execute(job: StoredJob): Promise<StoredJob> {
    const abort = new AbortController();
    current = abort;
    // Renew the lease; when the job is no longer ours (cancelled, taken over), stop at the next entry.
    const heartbeat = setInterval(() => {
      db.jobs
        .heartbeat(job.id, workerId)
        .then((held) => {
          if (!held) abort.abort();
        })
        .catch(() => undefined);
    }, Math.max(500, (deps.leaseSeconds * 1000) / 3));
    log.info(`job ${job.id}: ${job.nextEntry > 0 ? `resuming at entry ${job.nextEntry}` : 'started'}${job.attempts > 0 ? ` (after ${job.attempts} failed attempt(s))` : ''}`);
    try {
      if (job.attempts >= MAX_ATTEMPTS) {
        throw new CrashLoop(
          `the job stopped ${job.attempts} times in a row at entry ${job.nextEntry} without progress (the server was killed or crashed while on it); ` +
            'it was failed so that it cannot stop the server again',
        );
      }
      const result = await jobs.run(job, { workerId, signal: abort.signal });
      if (result === 'completed') {
        const finished = await db.jobs.finish(job.id, workerId, 'completed');
        if (finished) {
          deps.onFinished?.('completed');
          log.info(`job ${job.id}: completed, ${finished.added} added, ${finished.duplicate} duplicate, ${finished.failed} failed`);
          await jobs.deleteOwnedFiles(finished).catch(() => undefined);
        }
      } else if (stopping) {
        await db.jobs.release(job.id, workerId);
        log.info(`job ${job.id}: paused for shutdown; it resumes at the next start`);
      } else {
        log.info(`job ${job.id}: stopped (cancelled or taken over)`);
      }
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      if (isPermanentJobError(error) || error instanceof CrashLoop || job.attempts + 1 >= MAX_ATTEMPTS) {
        const failed = await db.jobs.finish(job.id, workerId, 'failed', message).catch(() => null);
        if (failed) {
          deps.onFinished?.('failed');
          await jobs.deleteOwnedFiles(failed).catch(() => undefined);
        }
        // Label-file messages quote file names and lines: they belong in the job's report, not the log.
        log.warn(`job ${job.id}: failed: ${error instanceof LabelFileError ? 'the label file cannot be read' : message}`);
      } else {
        await db.jobs.releaseFailed(job.id, workerId).catch(() => undefined);
        log.warn(`job ${job.id}: attempt ${job.attempts + 1} failed (${message}); it will be retried`);
        await sleep(Math.min(30_000, 1000 * 2 ** (job.attempts + 1)));
      }
    } finally {
      clearInterval(heartbeat);
      current = null;
      jobs.changed(job.id);
    }
    await sweepFiles();
    return (await db.jobs.findById(job.id)) ?? job;
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

  async function run(): Promise<void> {
    while (!stopping) {
      let job: StoredJob | null = null;
      try {
        job = await db.jobs.claimNext(workerId, deps.leaseSeconds);
      } catch (error) {
        log.warn(`job worker: cannot look for jobs: ${(error as Error).message}`);
      }
      if (job && !stopping) await execute(job);
      else if (!stopping) await sleep(pollMs);
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
