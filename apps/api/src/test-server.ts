import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db/testing';
import { startServer, type RunningServer } from './server.ts';
import { TEST_ADMIN_PASSWORD } from './test-session.ts';

export { issueTestApiKey, requestAs, signIn, TEST_ADMIN_PASSWORD, type TestRequestOptions, type TestSession } from './test-session.ts';

/**
 * For integration tests: the real server on a free local port, with a known admin password, quiet logs and
 * the untrained default model (set CBMIR_DEFAULT_MODEL to start from another, e.g. the shipped one).
 * `env` adds to or overrides those (CBMIR_DATA_DIR, DATABASE_URL from createTestDatabase, limits, ...).
 */
export function startTestServer(env: Record<string, string | undefined>, options?: Parameters<typeof startServer>[1]): Promise<RunningServer> {
  // The seeded untrained model unless a test asks for another: quick to start, and what the tests were written for.
  return startServer(
    { PORT: '0', HOST: '127.0.0.1', CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, LOG_LEVEL: 'warn', CBMIR_DEFAULT_MODEL: 'untrained', ...env },
    options,
  );
}

/** A test server with its own data directory and database; close() stops it and removes both. */
export interface TestServer extends RunningServer {
  dataDir: string;
  /** The PostgreSQL test database (integration-postgres); undefined on embedded PGlite, which lives in dataDir. */
  databaseUrl: string | undefined;
}

/**
 * For integration tests: startTestServer on a fresh data directory and a fresh test database
 * (createTestDatabase: PGlite or a throwaway PostgreSQL database, per vitest project).
 */
export async function openTestServer(env: Record<string, string | undefined> = {}, options?: Parameters<typeof startServer>[1]): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-test-'));
  const target = await createTestDatabase();
  const removeAll = async () => {
    await target.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  let server: RunningServer;
  try {
    server = await startTestServer({ CBMIR_DATA_DIR: dataDir, ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}), ...env }, options);
  } catch (error) {
    await removeAll();
    throw error;
  }
  return {
    ...server,
    dataDir,
    databaseUrl: target.databaseUrl,
    async close() {
      await server.close();
      await removeAll();
    },
  };
}
