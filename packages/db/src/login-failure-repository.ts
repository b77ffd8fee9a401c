import { createHash } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

/**
 * Failed sign-ins in the database, so every API process's login throttle sees the others' (the throttle keeps
 * its own copy for the in-flight logic). Keys are stored as SHA-256: a mistyped password in the username field
 * must not end up in a table. Times are the throttle's clock, in ms since the epoch.
 */
export function loginFailureRepositoryFactory(db: SqlClient) {
  const digest = (key: string) => createHash('sha256').update(key).digest('hex');
  let adds = 0;
  return {
    /** The failure times of each key since `since`, oldest first. */
    async since(keys: string[], since: number): Promise<Map<string, number[]>> {
      const digests = new Map(keys.map((key) => [digest(key), key]));
      const rows = await db.query<{ key: string; at: number }>(
        `SELECT key, EXTRACT(EPOCH FROM at) * 1000 AS at FROM login_failures WHERE key = ANY($1) AND at > to_timestamp($2 / 1000.0) ORDER BY at`,
        [[...digests.keys()], since],
      );
      const out = new Map<string, number[]>(keys.map((key) => [key, []]));
      for (const row of rows) out.get(digests.get(row.key)!)!.push(Number(row.at));
      return out;
    },

    async add(keys: string[], at: number): Promise<void> {
      // Now and then, drop failures older than any throttle window.
      if (++adds % 200 === 0) await db.query(`DELETE FROM login_failures WHERE at < now() - interval '1 day'`);
      await db.query(`INSERT INTO login_failures (key, at) SELECT unnest($1::text[]), to_timestamp($2 / 1000.0)`, [keys.map(digest), at]);
    },

    async clear(key: string): Promise<void> {
      await db.query('DELETE FROM login_failures WHERE key = $1', [digest(key)]);
    },
  };
}

export type LoginFailureRepository = ReturnType<typeof loginFailureRepositoryFactory>;
