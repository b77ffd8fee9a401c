import { UnavailableError } from '../errors/domain-error.ts';
import { boundedQueueFactory } from '../bounded-queue.ts';

/**
 * Password hashes (scrypt, 32 MiB each) run on libuv's thread pool, which file reads, DNS and zlib share
 * (4 threads by default). Unbounded, a flood of sign-ins fills every thread and a thumbnail read waits
 * seconds behind it. This queue runs at most `concurrency` hashes at once and holds at most `maxQueued`
 * more; beyond that a sign-in is refused at once (503 with Retry-After) instead of piling up.
 */
export function hashingQueueFactory(options: { concurrency?: number; maxQueued?: number } = {}) {
  return boundedQueueFactory({
    concurrency: options.concurrency ?? 1,
    maxQueued: options.maxQueued ?? 8,
    refuse: () => new UnavailableError('busy', 'too many sign-ins at once; try again in a moment', { retryAfterSeconds: 1 }),
  });
}

export type HashingQueue = ReturnType<typeof hashingQueueFactory>;
