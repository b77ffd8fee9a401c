import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { signIn, startTestServer, type TestSession } from './test-server.ts';

// Findings of the outside security review (issue 12), each against the real server and database.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-security-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let admin: TestSession;

beforeAll(async () => {
  target = await createTestDatabase();
  server = await startTestServer({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '3',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_MAX_UPLOAD_MB: '1',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  admin = await signIn(server.url);
});

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const url = (path: string) => `${server.url}${path}`;

async function call(method: string, path: string, options: { session?: TestSession; key?: string; json?: unknown; body?: BodyInit; headers?: Record<string, string> } = {}) {
  const headers: Record<string, string> = { ...options.headers };
  if (options.session) {
    headers.cookie = options.session.cookie;
    headers['x-csrf-token'] = options.session.csrfToken;
  }
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return fetch(url(path), { method, headers, ...(body !== undefined ? { body } : {}) });
}

describe(`API keys are bounded by their creator (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('a key acts with the lesser of its role and its creator’s current role, and dies when its creator is disabled', async () => {
    const created = await call('POST', '/api/v1/users', { session: admin, json: { username: 'key.minter', password: 'key-minter-password', role: 'admin' } });
    expect(created.status).toBe(201);
    const minterId = ((await created.json()) as { id: string }).id;
    const minter = await signIn(server.url, 'key.minter', 'key-minter-password');
    const minted = await call('POST', '/api/v1/api-keys', { session: minter, json: { name: 'minted admin key', role: 'admin' } });
    expect(minted.status).toBe(201);
    const key = ((await minted.json()) as { secret: string }).secret;
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(200);

    // Demoted creator: the admin key acts as a clinician.
    expect((await call('PATCH', `/api/v1/users/${minterId}`, { session: admin, json: { role: 'clinician' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(403);
    expect((await call('POST', '/api/v1/users', { key, json: { username: 'sneaky', password: 'sneaky-password', role: 'admin' } })).status).toBe(403);
    expect((await call('GET', '/api/v1/images?limit=1', { key })).status).toBe(200);

    // Promoted again: admin again. Disabled: the key is refused everywhere, like its creator's sessions.
    expect((await call('PATCH', `/api/v1/users/${minterId}`, { session: admin, json: { role: 'admin' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(200);
    expect((await call('PATCH', `/api/v1/users/${minterId}`, { session: admin, json: { disabled: true } })).status).toBe(200);
    const refused = await call('POST', '/api/v1/users', { key, json: { username: 'sneaky', password: 'sneaky-password', role: 'admin' } });
    expect(refused.status).toBe(401);
    expect((await refused.json()).error).toBe('invalid_api_key');
    expect((await call('GET', '/api/v1/images?limit=1', { key })).status).toBe(401);
    const users = (await (await call('GET', '/api/v1/users', { session: admin })).json()).users as { username: string }[];
    expect(users.map((u) => u.username)).not.toContain('sneaky');

    // Re-enabled: the key works again (revoke it to end it for good).
    expect((await call('PATCH', `/api/v1/users/${minterId}`, { session: admin, json: { disabled: false } })).status).toBe(200);
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(200);
  });
});
