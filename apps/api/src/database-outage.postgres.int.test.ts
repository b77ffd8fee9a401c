import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openPostgres } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { issueTestApiKey, startTestServer } from './test-server.ts';

// PostgreSQL only (vitest.config.ts keeps *.postgres.int.test.ts out of the embedded-database run): the
// server's connections are dropped while idle, as a database restart or failover drops them.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-outage-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let key: string;
const unhandled: unknown[] = [];
const onUncaught = (error: unknown) => unhandled.push(error);

beforeAll(async () => {
  target = await createTestDatabase();
  server = await startTestServer({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '2',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    DATABASE_URL: target.databaseUrl,
  });
  key = await issueTestApiKey(server.url, 'clinician');
  process.on('uncaughtException', onUncaught);
});

afterAll(async () => {
  process.off('uncaughtException', onUncaught);
  await server?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const get = (path: string) => fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${key}` } });

describe('a PostgreSQL connection drop', () => {
  it('while the pool is idle does not crash the server, which recovers at the next request', async () => {
    // Several requests at once, so the pool holds several idle connections.
    await Promise.all(Array.from({ length: 4 }, () => get('/api/v1/images?limit=1')));
    const database = new URL(target.databaseUrl!).pathname.slice(1);
    const admin = await openPostgres(process.env.CBMIR_TEST_DATABASE_URL!, { max: 1 });
    const terminated = await admin.query(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()`, [database]);
    await admin.close();
    expect(terminated.length).toBeGreaterThan(0);
    await new Promise((resolve) => setTimeout(resolve, 500));

    expect(unhandled).toEqual([]);
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
    const ready = await fetch(`${server.url}/readyz`);
    expect(ready.status).toBe(200);
    expect((await ready.json()).database).toBe(true);
    expect((await get('/api/v1/images?limit=1')).status).toBe(200);
  });
});
