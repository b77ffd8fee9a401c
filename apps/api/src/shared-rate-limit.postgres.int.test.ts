import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { issueTestApiKey, startTestServer } from './test-server.ts';

// Two API processes on one PostgreSQL database (two servers here, as `pnpm cbmir serve` twice would be):
// a caller's searches count against one limit, whichever of them answers.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-shared-limit-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
const servers: RunningServer[] = [];

beforeAll(async () => {
  target = await createTestDatabase();
  const env = { CBMIR_DATA_DIR: dataDir, CBMIR_DEMO_IMAGES: '2', CBMIR_DEMO_TRAIN_SECONDS: '0', DATABASE_URL: target.databaseUrl, CBMIR_SEARCH_RATE_LIMIT: '4' };
  servers.push(await startTestServer(env));
  servers.push(await startTestServer({ ...env, CBMIR_ROLE: 'api' }));
});

afterAll(async () => {
  for (const server of servers) await server.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the search rate limit across API processes (postgres)', () => {
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
});
