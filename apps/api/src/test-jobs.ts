import type { Job } from '@cbmir/contract';

/**
 * For tests: reads job `id` with `read` (GET /api/v1/jobs/:id however the test reaches it) until `done(job)`
 * holds, and returns that state; fails with the last state seen after `timeoutMs`.
 */
export async function waitForJob(
  read: (id: string) => Promise<Job>,
  id: string,
  done: (job: Job) => boolean,
  timeoutMs = 300_000,
  intervalMs = 50,
): Promise<Job> {
  for (const started = Date.now(); ; ) {
    const job = await read(id);
    if (done(job)) return job;
    if (Date.now() - started > timeoutMs) throw new Error(`job ${id} did not get there in ${timeoutMs / 1000} s: ${JSON.stringify(job)}`);
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
}
