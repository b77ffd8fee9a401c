import { RateLimitedError, UnavailableError } from '../errors/domain-error.ts';
import { boundedQueueFactory } from '../bounded-queue.ts';

/**
 * Fair use of the server's CPU by image searches. A search's cost grows with the upload's pixels (decode,
 * preprocessing), which a per-minute count of requests does not see: one caller could keep every core busy
 * with 100 MP uploads inside the search rate limit. So:
 * - each caller (user or API key) has a budget of decoded megapixels per minute (a token bucket, charged
 *   from the image header before any pixel is decoded): beyond it, 429 with Retry-After;
 * - image searches run at most `maxConcurrent` at once, with at most `maxQueued` waiting: beyond that,
 *   503 with Retry-After, rather than an ever longer queue.
 */
export function searchAdmissionFactory(options: { megapixelsPerMinute: number; maxConcurrent: number; maxQueued: number; now?: () => number }) {
  const now = options.now ?? Date.now;
  const capacity = options.megapixelsPerMinute;
  const perMs = capacity / 60_000;
  const buckets = new Map<string, { tokens: number; at: number }>();
  const queue = boundedQueueFactory({
    concurrency: options.maxConcurrent,
    maxQueued: options.maxQueued,
    refuse: () => new UnavailableError('busy', 'the server is busy with other searches; try again in a moment', { retryAfterSeconds: 2 }),
  });

  function bucket(caller: string) {
    const t = now();
    const current = buckets.get(caller) ?? { tokens: capacity, at: t };
    current.tokens = Math.min(capacity, current.tokens + (t - current.at) * perMs);
    current.at = t;
    buckets.set(caller, current);
    if (buckets.size > 10_000) for (const [k, b] of buckets) if (b.tokens + (t - b.at) * perMs >= capacity) buckets.delete(k);
    return current;
  }

  return {
    /** Takes `megapixels` from the caller's budget, or refuses (429) saying when it will be there. */
    charge(caller: string, megapixels: number): void {
      const cost = Math.min(megapixels, capacity); // an image over the whole budget waits for a full one
      const b = bucket(caller);
      if (b.tokens < cost) {
        const seconds = Math.ceil((cost - b.tokens) / perMs / 1000);
        throw new RateLimitedError('rate_limited', `image search budget used up (${capacity} megapixels per minute); try again in ${seconds} s`, {
          retryAfterSeconds: seconds,
        });
      }
      b.tokens -= cost;
    },

    /** Runs a search when a slot is free; refuses (503) when too many are waiting already. */
    run<T>(task: () => Promise<T>): Promise<T> {
      return queue.run(task);
    },
  };
}

export type SearchAdmission = ReturnType<typeof searchAdmissionFactory>;
