import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './open-database.ts';
import { openTestDatabase, TEST_JOB_PARAMS } from './testing.ts';

let db: Database;

beforeAll(async () => {
  db = await openTestDatabase();
});
afterAll(async () => {
  await db?.close();
});

const newJob = (total = 10) => db.jobs.create({ id: randomUUID(), kind: 'archive', params: TEST_JOB_PARAMS, total });

describe(`job queue (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('hands a queued job to one worker, fences every write by worker and position, and lets another take it over after the lease', async () => {
    const job = await newJob();
    const claimed = await db.jobs.claimNext('worker-a', 60);
    expect(claimed).toMatchObject({ id: job.id, status: 'running', workerId: 'worker-a', attempts: 0, nextEntry: 0 });
    expect(await db.jobs.claimNext('worker-b', 60)).toBeNull();

    const item = { seq: 0, fileName: 'a.jpg', status: 'added' as const, imageId: randomUUID() };
    expect(await db.jobs.commitProgress(job.id, 'worker-b', { expectedNextEntry: 0, nextEntry: 2, items: [item], unlabelled: 0 })).toBe(false);
    expect(await db.jobs.commitProgress(job.id, 'worker-a', { expectedNextEntry: 5, nextEntry: 2, items: [item], unlabelled: 0 })).toBe(false);
    expect(
      await db.jobs.commitProgress(job.id, 'worker-a', {
        expectedNextEntry: 0,
        nextEntry: 3,
        items: [item, { seq: 2, fileName: '../x', status: 'failed', code: 'unsafe_name', reason: 'unsafe' }],
        unlabelled: 1,
      }),
    ).toBe(true);
    expect(await db.jobs.findById(job.id)).toMatchObject({ nextEntry: 3, done: 2, added: 1, failed: 1, unlabelled: 1 });

    // worker-a goes silent: with a 1 s lease, worker-b takes over and resumes at next_entry.
    await new Promise((resolve) => setTimeout(resolve, 1200));
    const taken = await db.jobs.claimNext('worker-b', 1);
    // worker-a's run died: taking it over counts one failed attempt.
    expect(taken).toMatchObject({ id: job.id, workerId: 'worker-b', attempts: 1, nextEntry: 3, runStartedDone: 2 });
    expect(await db.jobs.heartbeat(job.id, 'worker-a')).toBeNull();
    expect(await db.jobs.finish(job.id, 'worker-a', 'completed')).toBeNull();
    expect(await db.jobs.finish(job.id, 'worker-b', 'completed')).toMatchObject({ status: 'completed' });

    const failed = await db.jobs.items(job.id, { status: 'failed', limit: 10 });
    expect(failed).toEqual([expect.objectContaining({ seq: 2, code: 'unsafe_name', fileName: '../x' })]);
    expect(await db.jobs.cancel(job.id)).toBeNull();
  });

  it('cancels queued and running jobs, after which their worker can write nothing; the embedded restart requeues running jobs', async () => {
    const queued = await newJob();
    expect(await db.jobs.cancel(queued.id)).toMatchObject({ status: 'cancelled' });
    const running = await newJob();
    expect(await db.jobs.claim(running.id, 'worker-c', 60)).toMatchObject({ status: 'running' });
    expect(await db.jobs.cancel(running.id)).toMatchObject({ status: 'cancelled' });
    expect(await db.jobs.heartbeat(running.id, 'worker-c')).toBeNull();
    expect(await db.jobs.commitProgress(running.id, 'worker-c', { expectedNextEntry: 0, nextEntry: 1, items: [], unlabelled: 0 })).toBe(false);

    const orphan = await newJob();
    await db.jobs.claim(orphan.id, 'dead-worker', 3600);
    expect(await db.jobs.requeueRunning()).toBe(1);
    expect(await db.jobs.claimNext('worker-d', 3600)).toMatchObject({ id: orphan.id, attempts: 1 });
  });

  it('counts failed runs, not claims: a graceful release is free, a failure or a dead run counts, progress resets', async () => {
    const job = await newJob();
    for (let i = 0; i < 4; i++) {
      expect(await db.jobs.claim(job.id, 'worker-e', 60)).toMatchObject({ attempts: 0 });
      await db.jobs.release(job.id, 'worker-e');
    }
    await db.jobs.claim(job.id, 'worker-e', 60);
    expect(await db.jobs.releaseFailed(job.id, 'worker-e')).toMatchObject({ status: 'queued', attempts: 1 });
    await db.jobs.claim(job.id, 'worker-e', 60);
    expect(await db.jobs.requeueRunning()).toBeGreaterThanOrEqual(1);
    expect(await db.jobs.claim(job.id, 'worker-f', 60)).toMatchObject({ attempts: 2 });
    expect(await db.jobs.commitProgress(job.id, 'worker-f', { expectedNextEntry: 0, nextEntry: 1, items: [], unlabelled: 0 })).toBe(true);
    expect(await db.jobs.findById(job.id)).toMatchObject({ attempts: 0, nextEntry: 1 });
    expect(await db.jobs.releaseFailed(job.id, 'someone-else')).toBeNull();
  });

  it('lists newest first with keyset pagination', async () => {
    const all = await db.jobs.list({ limit: 100 });
    const first = await db.jobs.list({ limit: 2 });
    const second = await db.jobs.list({ limit: 2, before: first[1]!.id });
    expect([...first, ...second].map((j) => j.id)).toEqual(all.slice(0, 4).map((j) => j.id));
    expect((await db.jobs.list({ status: 'cancelled', limit: 10 })).every((j) => j.status === 'cancelled')).toBe(true);
  });
});
