import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../errors/domain-error.ts';
import { hashingQueueFactory } from './hashing-queue.ts';

describe('hashing queue', () => {
  it('runs at most `concurrency` tasks at once and refuses beyond `maxQueued` waiting ones (503, Retry-After)', async () => {
    const queue = hashingQueueFactory({ concurrency: 2, maxQueued: 3 });
    let running = 0;
    let peak = 0;
    const task = async () => {
      running++;
      peak = Math.max(peak, running);
      await new Promise((resolve) => setTimeout(resolve, 10));
      running--;
      return 'done';
    };
    const results = await Promise.allSettled(Array.from({ length: 8 }, () => queue.run(task)));
    expect(peak).toBe(2);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(5);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected').map((r) => r.reason as UnavailableError);
    expect(refused).toHaveLength(3);
    expect(refused.every((e) => e instanceof UnavailableError && e.retryAfterSeconds === 1)).toBe(true);
    expect(await queue.run(task)).toBe('done');
  });

  it('frees its slot when a task throws', async () => {
    const queue = hashingQueueFactory({ concurrency: 1, maxQueued: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await queue.run(async () => 1)).toBe(1);
  });
});
