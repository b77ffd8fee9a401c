import pg from 'pg';
import { until } from './test-waiting.ts';

// For the read-replica tests: the test replica (CBMIR_TEST_REPLICA_URL, an admin URL on the streaming replica
// of the server behind CBMIR_TEST_DATABASE_URL; scripts/start-test-postgres.sh starts both).

function testReplicaUrl(): string {
  const url = process.env.CBMIR_TEST_REPLICA_URL;
  if (!url) throw new Error('CBMIR_TEST_REPLICA_URL is not set: eval "$(scripts/start-test-postgres.sh)" starts the test replica');
  return url;
}

/** Runs `sql` on the test replica, in `database` (by default the server's "postgres" database). */
export async function queryTestReplica<T>(sql: string, database = 'postgres'): Promise<T[]> {
  const url = new URL(testReplicaUrl());
  url.pathname = `/${database}`;
  const client = new pg.Client({ connectionString: url.toString() });
  await client.connect();
  try {
    return (await client.query(sql)).rows as T[];
  } finally {
    await client.end();
  }
}

/**
 * A test database just made on the primary (createTestDatabase) as the replica sees it: waits until the
 * replica has replayed its creation, and returns its URL there (same name and credentials, the replica's address).
 */
export async function replicaOfTestDatabase(databaseUrl: string): Promise<string> {
  const url = new URL(databaseUrl);
  const name = url.pathname.slice(1);
  await until(async () => (await queryTestReplica(`SELECT 1 FROM pg_database WHERE datname = '${name}'`)).length === 1, 'the replica has the test database');
  url.host = new URL(testReplicaUrl()).host;
  return url.toString();
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
