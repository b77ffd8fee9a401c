import { AppError } from '../errors.ts';

/**
 * Password hashes (scrypt, 32 MiB each) run on libuv's thread pool, which file reads, DNS and zlib share
 * (4 threads by default). Unbounded, a flood of sign-ins fills every thread and a thumbnail read waits
 * seconds behind it. This queue runs at most `concurrency` hashes at once and holds at most `maxQueued`
 * more; beyond that a sign-in is refused at once (503 with Retry-After) instead of piling up.
 */
export function hashingQueueFactory(options: { concurrency?: number; maxQueued?: number } = {}) {
  const concurrency = options.concurrency ?? 1;
  const maxQueued = options.maxQueued ?? 8;
  let running = 0;
  const waiting: (() => void)[] = [];

  function next() {
    running--;
    const start = waiting.shift();
    if (start) {
      running++;
      start();
    }
  }

  return {
    /** True when a new task would be refused now. */
    get full(): boolean {
      return running >= concurrency && waiting.length >= maxQueued;
    },
    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= concurrency) {
        if (waiting.length >= maxQueued) {
          throw new AppError(503, 'busy', 'too many sign-ins at once; try again in a moment', { retryAfterSeconds: 1 });
        }
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await task();
      } finally {
        next();
      }
    },
  };
}

export type HashingQueue = ReturnType<typeof hashingQueueFactory>;
