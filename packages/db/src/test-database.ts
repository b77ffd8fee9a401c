import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type Database, type DatabaseOptions } from './open-database.ts';

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
 * For integration tests: a migrated database of the test's own (createTestDatabase, opened without a data
 * directory: in memory on PGlite); close() also drops it.
 */
export async function openTestDatabase(options: Omit<DatabaseOptions, 'databaseUrl' | 'dataDir'> = {}): Promise<Database> {
  const target = await createTestDatabase();
  let db: Database;
  try {
    db = await openDatabase({ ...options, databaseUrl: target.databaseUrl, dataDir: null });
  } catch (error) {
    await target.drop();
    throw error;
  }
  return {
    ...db,
    async close() {
      await db.close();
      await target.drop();
    },
  };
}
