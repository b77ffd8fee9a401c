import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { Database } from './open-database.ts';
import { openTestDatabase } from './test-database.ts';

/**
 * For an integration test file: a test database of its own (openTestDatabase: PGlite, or a throwaway
 * PostgreSQL database) opened before its tests, and a temporary data directory; both are removed after them.
 */
export function useTestDatabase(dirPrefix: string): { readonly db: Database; readonly dataDir: string } {
  const dataDir = mkdtempSync(join(tmpdir(), dirPrefix));
  let db: Database | undefined;
  beforeAll(async () => {
    db = await openTestDatabase();
  });
  afterAll(async () => {
    await db?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });
  return {
    get db() {
      if (!db) throw new Error('the test database opens in beforeAll: use it inside a test or hook');
      return db;
    },
    dataDir,
  };
}
