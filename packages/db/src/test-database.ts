import { randomBytes } from 'node:crypto';
import pg from 'pg';

/**
 * For integration tests: which database this test run targets. The vitest project "integration-postgres"
 * sets CBMIR_TEST_DB=postgres and CBMIR_TEST_DATABASE_URL (an admin URL); each call then creates a fresh,
 * throwaway database on that server. Otherwise the test gets embedded PGlite (databaseUrl undefined).
 */
export async function createTestDatabase(): Promise<{ databaseUrl: string | undefined; drop(): Promise<void> }> {
  if (process.env.CBMIR_TEST_DB !== 'postgres') return { databaseUrl: undefined, drop: async () => {} };
  const adminUrl = process.env.CBMIR_TEST_DATABASE_URL;
  if (!adminUrl) throw new Error('CBMIR_TEST_DB=postgres needs CBMIR_TEST_DATABASE_URL (see scripts/start-test-postgres.sh)');
  const name = `cbmir_test_${randomBytes(6).toString('hex')}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    databaseUrl: url.toString(),
    async drop() {
      const client = new pg.Client({ connectionString: adminUrl });
      await client.connect();
      await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await client.end();
    },
  };
}

/**
 * For the read-replica tests: runs `fn` while the test replica (CBMIR_TEST_REPLICA_URL) has its WAL replay
 * paused, so it falls behind the primary. One test at a time holds the pause (an advisory lock on the
 * primary), since test files run in parallel against the one replica.
 */
export async function withReplicaReplayPaused<T>(fn: () => Promise<T>): Promise<T> {
  const primaryUrl = process.env.CBMIR_TEST_DATABASE_URL;
  const replicaUrl = process.env.CBMIR_TEST_REPLICA_URL;
  if (!primaryUrl || !replicaUrl) throw new Error('CBMIR_TEST_DATABASE_URL and CBMIR_TEST_REPLICA_URL must be set (scripts/start-test-postgres.sh)');
  const lock = new pg.Client({ connectionString: primaryUrl });
  const replica = new pg.Client({ connectionString: replicaUrl });
  await lock.connect();
  try {
    await lock.query('SELECT pg_advisory_lock(771177)');
    await replica.connect();
    await replica.query('SELECT pg_wal_replay_pause()');
    try {
      return await fn();
    } finally {
      await replica.query('SELECT pg_wal_replay_resume()');
    }
  } finally {
    await replica.end().catch(() => undefined);
    await lock.end(); // ends the session, and with it the lock
  }
}
