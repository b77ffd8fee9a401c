import type { SqlClient } from './sql-client.ts';

/**
 * Fixed-window request counters in the database, so that every API process sharing it counts the same
 * requests (a per-process counter would let N replicas allow N times the limit).
 */
export function rateLimitRepositoryFactory(db: SqlClient) {
  let calls = 0;
  return {
    /** Counts one request of `key` in its window of `windowMs`; returns the count so far and the window's ms left. */
    async hit(key: string, windowMs: number): Promise<{ hits: number; msLeft: number }> {
      // Now and then, drop windows that ended long ago (callers who stopped calling).
      if (++calls % 500 === 0) await db.query(`DELETE FROM rate_limit_windows WHERE window_start < now() - interval '1 day'`);
      const [row] = await db.query<{ hits: number; ms_left: number }>(
        `INSERT INTO rate_limit_windows (key, window_start, hits) VALUES ($1, now(), 1)
         ON CONFLICT (key) DO UPDATE SET
           hits = CASE WHEN rate_limit_windows.window_start + $2 * interval '1 millisecond' <= now() THEN 1 ELSE rate_limit_windows.hits + 1 END,
           window_start = CASE WHEN rate_limit_windows.window_start + $2 * interval '1 millisecond' <= now() THEN now() ELSE rate_limit_windows.window_start END
         RETURNING hits, GREATEST(0, CEIL(EXTRACT(EPOCH FROM (window_start + $2 * interval '1 millisecond' - now())) * 1000))::int AS ms_left`,
        [key, windowMs],
      );
      return { hits: row!.hits, msLeft: row!.ms_left };
    },
  };
}

export type RateLimitRepository = ReturnType<typeof rateLimitRepositoryFactory>;
