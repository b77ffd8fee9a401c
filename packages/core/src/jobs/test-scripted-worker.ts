import { join } from 'node:path';
import type { Logger } from '../logger.ts';
import type { Database } from '@cbmir/db';
import type { IngestJobService } from '../ingest/ingest-jobs.ts';
import { jobWorkerFactory } from './job-worker.ts';

/** A log that keeps its lines ("info ..." / "warn ..."), for tests to read. */
export function recordingLog(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m: string) => void lines.push(`info ${m}`), warn: (m: string) => void lines.push(`warn ${m}`) };
}

/**
 * A job worker over the real job queue whose job "run" follows a script, one step per run: what is under
 * test is what the worker and the queue make of the outcomes.
 */
export function scriptedJobWorker(options: { db: Database; dataDir: string; script: (() => Promise<'completed'>)[]; leaseSeconds?: number }) {
  let calls = 0;
  const jobs = {
    uploadsDir: join(options.dataDir, 'uploads'),
    run: async () => {
      const step = options.script[calls++];
      if (!step) throw new Error('the job ran more often than scripted');
      return step();
    },
    deleteOwnedFiles: async () => {},
    changed: () => {},
  } as unknown as IngestJobService;
  const log = recordingLog();
  const worker = jobWorkerFactory({ db: options.db, jobs, leaseSeconds: options.leaseSeconds ?? 60, embedded: true, log, pollMs: 50 });
  return { worker, log, calls: () => calls };
}
