import { randomUUID } from 'node:crypto';
import { InvalidInputError } from '../errors/domain-error.ts';
import type { Database, StoredJob } from '@cbmir/db';
import { TEST_JOB_PARAMS, useTestDatabase } from '@cbmir/db/testing';
import { describe, expect, it } from 'vitest';
import { scriptedJobWorker } from './test-scripted-worker.ts';

// The job worker against the real job queue (PGlite or PostgreSQL) with database errors injected at the
// repository seam: the worker must log each failure once with its cause, record it on the job where it
// can, and keep polling. An error escaping the worker's loop would be an unhandled rejection, which fails
// the test run (vitest's default).
const fixture = useTestDatabase('cbmir-worker-faults-');
const { dataDir } = fixture;

type JobRepository = Database['jobs'];

/** The real database, but the named job-repository calls throw (a dropped connection) the first `times` they are made. */
function flaky(failing: Partial<Record<keyof JobRepository, number>>): Database {
  const left = { ...failing };
  const jobs = new Proxy(fixture.db.jobs, {
    get(repo, name: keyof JobRepository) {
      const real = repo[name];
      if (typeof real !== 'function') return real;
      return (...args: unknown[]) => {
        if ((left[name] ?? 0) > 0) {
          left[name]! -= 1;
          return Promise.reject(new Error('Connection terminated unexpectedly', { cause: new Error('read ECONNRESET') }));
        }
        return (real as (...a: unknown[]) => unknown).apply(repo, args);
      };
    },
  });
  return { ...fixture.db, jobs } as Database;
}

/** A worker over `database` whose job runs follow a script, one step per run. */
function scriptedWorker(database: Database, script: (() => Promise<'completed'>)[], leaseSeconds = 60) {
  return scriptedJobWorker({ db: database, dataDir, script, leaseSeconds });
}

async function waitForEnd(id: string): Promise<StoredJob> {
  for (const started = Date.now(); Date.now() - started < 60_000; ) {
    const job = (await fixture.db.jobs.findById(id))!;
    if (job.status === 'completed' || job.status === 'failed') return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not end`);
}

const newJob = () => fixture.db.jobs.create({ id: randomUUID(), kind: 'archive', params: TEST_JOB_PARAMS, total: 10 });

describe(`job worker under database errors (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('a database error while looking for jobs is logged once with its cause; the worker keeps polling and completes the job', async () => {
    const { worker, log, calls } = scriptedWorker(flaky({ claimNext: 1 }), [async () => 'completed']);
    const job = await newJob();
    await worker.start();
    const ended = await waitForEnd(job.id);
    await worker.stop();
    expect(ended.status).toBe('completed');
    expect(calls()).toBe(1);
    const errors = log.lines.filter((line) => line.includes('Connection terminated'));
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^warn job worker: cannot look for or run jobs \(Connection terminated unexpectedly \(read ECONNRESET\)\)/);
  });

  it('a database error after a job ran (reading it back) neither escapes the loop nor stops the worker: the next job runs too', async () => {
    const { worker, log, calls } = scriptedWorker(flaky({ findById: 1 }), [async () => 'completed', async () => 'completed']);
    const first = await newJob();
    await worker.start();
    expect((await waitForEnd(first.id)).status).toBe('completed');
    const second = await newJob();
    worker.wake();
    expect((await waitForEnd(second.id)).status).toBe('completed');
    await worker.stop();
    expect(calls()).toBe(2);
    expect(log.lines.filter((line) => line.startsWith('warn'))).toEqual([]);
  });

  it('a job run in the foreground returns (the job as it was) when reading it back fails, instead of throwing', async () => {
    const { worker } = scriptedWorker(flaky({ findById: 1 }), [async () => 'completed']);
    const job = await newJob();
    const claimed = (await fixture.db.jobs.claim(job.id, worker.workerId, 60))!;
    const returned = await worker.runJob(claimed);
    expect(returned.id).toBe(job.id);
    expect((await fixture.db.jobs.findById(job.id))!.status).toBe('completed');
  });

  it('when a failure cannot be recorded the log says so (not "failed"), and the job is failed once its lease runs out and it runs again', async () => {
    const refused = () => Promise.reject(new InvalidInputError('invalid_labels', 'the label file has no grade column'));
    const { worker, log, calls } = scriptedWorker(flaky({ finish: 1 }), [refused, refused], 1);
    const job = await newJob();
    await worker.start();
    const ended = await waitForEnd(job.id);
    await worker.stop();
    expect(calls()).toBe(2);
    expect(ended.status).toBe('failed');
    expect(ended.error).toBe('the label file has no grade column');
    const warnings = log.lines.filter((line) => line.startsWith('warn'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toMatch(
      /attempt 1 ended with an error \(the label file has no grade column\), which could not be recorded \(Connection terminated unexpectedly \(read ECONNRESET\)\); the job stays claimed and is taken up again when its lease runs out/,
    );
    expect(warnings[0]).not.toMatch(/failed:/);
    expect(warnings[1]).toMatch(/failed: the label file has no grade column/);
  });

  it('a retryable failure that cannot be given back is logged with both causes, and the job is retried by lease', async () => {
    let runs = 0;
    const { worker, log } = scriptedWorker(
      flaky({ releaseFailed: 1 }),
      [
        async () => {
          runs++;
          throw new Error('disk full');
        },
        async () => {
          runs++;
          return 'completed';
        },
      ],
      1,
    );
    const job = await newJob();
    await worker.start();
    const ended = await waitForEnd(job.id);
    await worker.stop();
    expect(runs).toBe(2);
    expect(ended.status).toBe('completed');
    expect(log.lines.filter((line) => line.startsWith('warn'))).toEqual([
      expect.stringMatching(
        /attempt 1 failed \(disk full\) and could not be given back \(Connection terminated unexpectedly \(read ECONNRESET\)\); it is taken up again when its lease runs out/,
      ),
    ]);
  });
});
