import type { AuditPage, ImageList } from '@cbmir/contract';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../server.ts';
import { signIn, startTestServer, TEST_ADMIN_PASSWORD, type TestSession } from '../test-server.ts';

// Password guessing and login floods against the real server: the attempt counter must hold under
// concurrency, and a flood of sign-ins (each a 32 MiB scrypt) must neither starve file reads nor flood the
// audit trail. Each test gets its own server, so one test's per-address counters do not touch another's.
const servers: { server: RunningServer; dataDir: string; drop(): Promise<void> }[] = [];

async function freshServer(): Promise<RunningServer> {
  const target = await createTestDatabase();
  const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-login-'));
  const server = await startTestServer({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '2',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  servers.push({ server, dataDir, drop: target.drop });
  return server;
}

afterAll(async () => {
  for (const { server, dataDir, drop } of servers) {
    await server.close();
    await drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
});

const login = (server: RunningServer, username: string, password: string) =>
  fetch(`${server.url}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });

async function auditCount(server: RunningServer, admin: TestSession, action: string): Promise<number> {
  let count = 0;
  let before: string | null = null;
  do {
    const response = await fetch(`${server.url}/api/v1/audit?action=${action}&limit=200${before ? `&before=${before}` : ''}`, {
      headers: { cookie: admin.cookie },
    });
    const page = (await response.json()) as AuditPage;
    count += page.events.length;
    before = page.nextBefore;
  } while (before);
  return count;
}

describe(`login abuse (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let server: RunningServer;

  beforeAll(async () => {
    server = await freshServer();
  });

  it('12 concurrent wrong passwords for one user: the attempt counter is taken before hashing, so at most 5 are checked', async () => {
    const statuses = await Promise.all(Array.from({ length: 12 }, (_, i) => login(server, 'admin', `wrong-guess-${i}`).then((r) => r.status)));
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(5);
    expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(7);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    const blocked = await login(server, 'admin', TEST_ADMIN_PASSWORD);
    expect(blocked.status).toBe(429);
    expect(Number(blocked.headers.get('retry-after'))).toBeGreaterThan(0);
  });
});

describe(`login flood (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let server: RunningServer;
  let admin: TestSession;
  let thumbnail: string;

  beforeAll(async () => {
    server = await freshServer();
    admin = await signIn(server.url);
    const list = (await (await fetch(`${server.url}/api/v1/images?limit=1`, { headers: { cookie: admin.cookie } })).json()) as ImageList;
    thumbnail = `${server.url}${list.images[0]!.thumbnailUrl}`;
  });

  async function timedRead(): Promise<number> {
    const started = performance.now();
    const response = await fetch(thumbnail, { headers: { cookie: admin.cookie } });
    expect(response.status).toBe(200);
    await response.arrayBuffer();
    return performance.now() - started;
  }

  it('8 concurrent sign-ins with the right password all succeed (the attempts ahead free the way)', async () => {
    const statuses = await Promise.all(Array.from({ length: 8 }, () => login(server, 'admin', TEST_ADMIN_PASSWORD).then((r) => r.status)));
    expect(statuses).toEqual(Array(8).fill(200));
  });

  it('60 concurrent sign-ins with random usernames neither starve a thumbnail read nor write 60 audit rows', async () => {
    for (let i = 0; i < 3; i++) await timedRead(); // warm
    const quiet = Math.max(await timedRead(), await timedRead(), await timedRead());

    const failedBefore = await auditCount(server, admin, 'auth.login_failed');
    let flooding = true;
    const flood = Promise.all(
      Array.from({ length: 60 }, () => login(server, `user-${randomBytes(6).toString('hex')}`, randomBytes(12).toString('hex')).then((r) => r.status)),
    ).finally(() => {
      flooding = false;
    });
    const reads: number[] = [];
    await new Promise((resolve) => setTimeout(resolve, 20));
    while (flooding || reads.length < 3) reads.push(await timedRead());
    const statuses = await flood;

    // Without a bound the 60 hashes queue on libuv's 4 threads ahead of the file read (seconds).
    expect(Math.max(...reads), `thumbnail reads under the flood (quiet: ${quiet.toFixed(0)} ms): ${reads.map((r) => r.toFixed(0)).join(', ')} ms`).toBeLessThan(
      1000,
    );
    // Most of the flood is refused cheaply, before any hashing: by the per-address limit or the full hashing queue.
    expect(statuses.filter((s) => s === 429 || s === 503).length).toBeGreaterThan(20);
    expect(statuses.every((s) => s === 401 || s === 429 || s === 503)).toBe(true);
    // Failed sign-ins are audited in a bounded way, not one row each.
    const failedRows = (await auditCount(server, admin, 'auth.login_failed')) - failedBefore;
    expect(failedRows).toBeGreaterThan(0);
    expect(failedRows).toBeLessThanOrEqual(10);
  });
});
