import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { issueTestApiKey, startTestServer, TEST_ADMIN_PASSWORD } from './test-server.ts';

// Two API processes on one PostgreSQL database (two servers here, as `pnpm cbmir serve` twice would be):
// a caller's searches count against one limit, and failed sign-ins against one throttle, whichever answers.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-shared-limit-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
const servers: RunningServer[] = [];

beforeAll(async () => {
  target = await createTestDatabase();
  const env = {
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '2',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    DATABASE_URL: target.databaseUrl,
    CBMIR_SEARCH_RATE_LIMIT: '4',
  };
  servers.push(await startTestServer(env));
  servers.push(await startTestServer({ ...env, CBMIR_ROLE: 'api' }));
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('limits across API processes (postgres)', () => {
  it('counts a caller once across both servers, and other callers apart', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const key = await issueTestApiKey(a.url, 'clinician', 'limited');
    const other = await issueTestApiKey(a.url, 'clinician', 'other');
    const similar = async (server: RunningServer, apiKey: string) => {
      const list = await fetch(`${server.url}/api/v1/images?limit=1`, { headers: { authorization: `Bearer ${apiKey}` } });
      const id = ((await list.json()) as { images: { id: string }[] }).images[0]!.id;
      return fetch(`${server.url}/api/v1/images/${id}/similar?k=1`, { headers: { authorization: `Bearer ${apiKey}` } });
    };
    // Limit 4 a minute: two on each server pass, the fifth (on either) is refused.
    const statuses = [];
    for (const server of [a, b, a, b]) statuses.push((await similar(server, key)).status);
    expect(statuses).toEqual([200, 200, 200, 200]);
    const refused = await similar(b, key);
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await similar(a, key)).status).toBe(429);
    // Another caller has a budget of its own.
    expect((await similar(b, other)).status).toBe(200);
  });

  it('throttles failed sign-ins across both servers, and stores no typed username', async () => {
    const [a, b] = servers as [RunningServer, RunningServer];
    const login = (server: RunningServer, username: string, password: string) =>
      fetch(`${server.url}/api/v1/auth/login`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ username, password }),
      });
    // Five failures for one username (the default limit), spread over both servers: the sixth is refused by either.
    for (const server of [a, b, a, b, a]) expect((await login(server, 'admin', 'wrong password!')).status).toBe(401);
    const refused = await login(b, 'admin', TEST_ADMIN_PASSWORD);
    expect(refused.status).toBe(429);
    expect((await login(a, 'admin', TEST_ADMIN_PASSWORD)).status).toBe(429);

    const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
    try {
      const keys = await db.sql.query<{ key: string }>('SELECT DISTINCT key FROM login_failures');
      expect(keys.length).toBe(2); // (username, address) and the address
      expect(keys.every(({ key }) => /^[0-9a-f]{64}$/.test(key))).toBe(true);
    } finally {
      await db.close();
    }
  });
});
