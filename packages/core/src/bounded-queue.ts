/**
 * Runs at most `concurrency` tasks at once and holds at most `maxQueued` more; a task beyond that is refused
 * at once with `refuse()`'s error (a 503 with Retry-After) instead of piling up. Shared by the sign-in
 * hashing queue and image-search admission.
 */
export function boundedQueueFactory(options: { concurrency: number; maxQueued: number; refuse: () => Error }) {
  let running = 0;
  const waiting: (() => void)[] = [];

  return {
    /** True when a new task would be refused now. */
    get full(): boolean {
      return running >= options.concurrency && waiting.length >= options.maxQueued;
    },

    async run<T>(task: () => Promise<T>): Promise<T> {
      if (running >= options.concurrency) {
        if (waiting.length >= options.maxQueued) throw options.refuse();
        // The finishing task hands its slot over: `running` stays as it is.
        await new Promise<void>((resolve) => waiting.push(resolve));
      } else {
        running++;
      }
      try {
        return await task();
      } finally {
        const next = waiting.shift();
        if (next) next();
        else running--;
      }
    },
  };
}

export type BoundedQueue = ReturnType<typeof boundedQueueFactory>;
