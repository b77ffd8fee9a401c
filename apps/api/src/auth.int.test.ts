import type { AuditPage, CreatedApiKey, SearchResponse, SessionResponse, User, UserList } from '@cbmir/contract';
import { PassThrough } from 'node:stream';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServer, requestAs, TEST_ADMIN_PASSWORD, type TestRequestOptions, type TestServer, type TestSession } from './test-server.ts';

// Users, roles, keys, CSRF, audit and abuse limits against the real server and database.
const logs: string[] = [];
let server: TestServer;
let admin: TestSession;

beforeAll(async () => {
  const logDestination = new PassThrough();
  logDestination.on('data', (chunk: Buffer) => logs.push(chunk.toString()));
  server = await openTestServer({ CBMIR_DEMO_IMAGES: '4', CBMIR_DEMO_TRAIN_SECONDS: '0', CBMIR_SEARCH_RATE_LIMIT: '8', LOG_LEVEL: 'info' }, { logDestination });
  admin = await login('admin', TEST_ADMIN_PASSWORD);
});

afterAll(async () => {
  await server?.close();
});

const url = (path: string) => `${server.url}${path}`;

const call = (method: string, path: string, options?: TestRequestOptions) => requestAs(server.url, method, path, options);

async function login(username: string, password: string): Promise<TestSession> {
  const response = await call('POST', '/api/v1/auth/login', { json: { username, password } });
  expect(response.status).toBe(200);
  const setCookie = response.headers.getSetCookie()[0]!;
  expect(setCookie).toMatch(/HttpOnly/i);
  expect(setCookie).toMatch(/SameSite=Strict/i);
  return { cookie: setCookie.split(';')[0]!, csrfToken: ((await response.json()) as SessionResponse).csrfToken };
}

async function createKey(role: 'admin' | 'clinician', extra: Record<string, unknown> = {}) {
  const response = await call('POST', '/api/v1/api-keys', { session: admin, json: { name: `${role} key`, role, ...extra } });
  expect(response.status).toBe(201);
  return (await response.json()) as CreatedApiKey;
}

async function imageForm(seed: number) {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed, grade: 1 }))]), 'query.jpg');
  return form;
}

type Operation = { path: string; method: string; role: string };

async function operations(): Promise<Operation[]> {
  const doc = (await (await fetch(url('/api/docs/json'))).json()) as { paths: Record<string, Record<string, { 'x-cbmir-role': string }>> };
  return Object.entries(doc.paths).flatMap(([path, ops]) =>
    Object.entries(ops).map(([method, op]) => ({
      path: path.replace(/\{\w+\}/g, '00000000-0000-4000-8000-000000000000'),
      method: method.toUpperCase(),
      role: op['x-cbmir-role'],
    })),
  );
}

describe(`users, roles and keys (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('every documented route states its role; only health checks and login are public', async () => {
    const ops = await operations();
    expect(ops.length).toBeGreaterThan(12);
    expect(
      ops
        .filter((op) => op.role === 'public')
        .map((op) => `${op.method} ${op.path}`)
        .sort(),
    ).toEqual(['GET /healthz', 'GET /readyz', 'POST /api/v1/auth/login']);
    for (const op of ops) expect(['public', 'clinician', 'admin'], `${op.method} ${op.path}`).toContain(op.role);
  });

  it('refuses anonymous callers (401) and callers with too little right (403) on every route', async () => {
    const clinicianKey = (await createKey('clinician')).secret;
    const revoked = await createKey('admin');
    await call('DELETE', `/api/v1/api-keys/${revoked.apiKey.id}`, { session: admin });
    for (const op of await operations()) {
      if (op.role === 'public') continue;
      const label = `${op.method} ${op.path}`;
      expect((await call(op.method, op.path)).status, `anonymous ${label}`).toBe(401);
      expect((await call(op.method, op.path, { key: revoked.secret })).status, `revoked key ${label}`).toBe(401);
      expect((await call(op.method, op.path, { key: 'cbmir_made-up' })).status, `unknown key ${label}`).toBe(401);
      if (op.role === 'admin') {
        expect((await call(op.method, op.path, { key: clinicianKey })).status, `clinician ${label}`).toBe(403);
      }
    }
  });

  it('a clinician signs in, searches with the CSRF token, is refused without it, and signs out', async () => {
    const created = await call('POST', '/api/v1/users', { session: admin, json: { username: 'dr.ana', password: 'clinician-password', role: 'clinician' } });
    expect(created.status).toBe(201);
    expect(
      (await call('POST', '/api/v1/users', { session: admin, json: { username: 'dr.ana', password: 'clinician-password', role: 'clinician' } })).status,
    ).toBe(409);
    expect((await call('POST', '/api/v1/users', { session: admin, json: { username: 'short', password: 'short', role: 'clinician' } })).status).toBe(400);
    expect((await call('POST', '/api/v1/auth/login', { json: { username: 'dr.ana', password: 'wrong-password' } })).status).toBe(401);

    const ana = await login('dr.ana', 'clinician-password');
    const session = await (await call('GET', '/api/v1/auth/session', { session: ana })).json();
    expect(session.user).toMatchObject({ username: 'dr.ana', role: 'clinician' });

    const withoutCsrf = await call('POST', '/api/v1/search', { session: ana, csrf: false, body: await imageForm(1) });
    expect(withoutCsrf.status).toBe(403);
    expect((await withoutCsrf.json()).error).toBe('csrf');
    const search = await call('POST', '/api/v1/search?k=3', { session: ana, body: await imageForm(1) });
    expect(search.status).toBe(200);
    expect((await call('GET', '/api/v1/users', { session: ana })).status).toBe(403);
    expect((await call('GET', '/api/v1/audit', { session: ana })).status).toBe(403);

    expect((await call('POST', '/api/v1/auth/logout', { session: ana })).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/session', { session: ana })).status).toBe(401);
  });

  it("an admin's password reset ends the user's sessions", async () => {
    const ana = await login('dr.ana', 'clinician-password');
    const { users } = (await (await call('GET', '/api/v1/users', { session: admin })).json()) as UserList;
    const id = users.find((u) => u.username === 'dr.ana')!.id;
    expect((await call('PATCH', `/api/v1/users/${id}`, { session: admin, json: { password: 'a-new-password-1' } })).status).toBe(200);
    expect((await call('GET', '/api/v1/auth/session', { session: ana })).status).toBe(401);
    await login('dr.ana', 'a-new-password-1');
  });

  it('the only enabled admin cannot be demoted or disabled (409); with a second admin they can', async () => {
    const usersNow = async () => ((await (await call('GET', '/api/v1/users', { session: admin })).json()) as UserList).users;
    const adminId = (await usersNow()).find((u) => u.username === 'admin')!.id;
    for (const change of [{ role: 'clinician' }, { disabled: true }]) {
      const refused = await call('PATCH', `/api/v1/users/${adminId}`, { session: admin, json: change });
      expect(refused.status).toBe(409);
      expect((await refused.json()).error).toBe('last_admin');
    }
    expect((await usersNow()).find((u) => u.id === adminId)).toMatchObject({ role: 'admin', disabled: false });
    expect((await call('GET', '/api/v1/auth/session', { session: admin })).status).toBe(200);

    const second = await call('POST', '/api/v1/users', {
      session: admin,
      json: { username: 'second.admin', password: 'second-admin-password', role: 'admin' },
    });
    expect(second.status).toBe(201);
    const secondId = ((await second.json()) as User).id;
    const disabled = await call('PATCH', `/api/v1/users/${secondId}`, { session: admin, json: { disabled: true } });
    expect(disabled.status).toBe(200);
    // the second admin is disabled again, so the first is once more the last one
    expect((await call('PATCH', `/api/v1/users/${adminId}`, { session: admin, json: { role: 'clinician' } })).status).toBe(409);
  });

  it('API keys: shown once, work at once, revocation and expiry take effect at once', async () => {
    const { apiKey, secret } = await createKey('clinician', { expiresAt: new Date(Date.now() + 1500).toISOString() });
    expect(secret.startsWith(apiKey.prefix)).toBe(true);
    const listed = await (await call('GET', '/api/v1/api-keys', { session: admin })).text();
    expect(listed).not.toContain(secret);
    expect((await call('GET', '/readyz', { key: secret })).status).toBe(200);
    expect((await call('POST', '/api/v1/search/vector', { key: secret, json: { vector: Array(128).fill(0), k: 1 } })).status).toBe(200);
    await new Promise((resolve) => setTimeout(resolve, 1600));
    expect((await call('POST', '/api/v1/search/vector', { key: secret, json: { vector: Array(128).fill(0), k: 1 } })).status).toBe(401);

    const other = await createKey('clinician');
    expect((await call('POST', '/api/v1/search/vector', { key: other.secret, json: { vector: Array(128).fill(0), k: 1 } })).status).toBe(200);
    expect((await call('DELETE', `/api/v1/api-keys/${other.apiKey.id}`, { session: admin })).status).toBe(200);
    const afterRevoke = await call('POST', '/api/v1/search/vector', { key: other.secret, json: { vector: Array(128).fill(0), k: 1 } });
    expect(afterRevoke.status).toBe(401);
    expect((await afterRevoke.json()).error).toBe('invalid_api_key');
    expect(
      (await call('POST', '/api/v1/api-keys', { session: admin, json: { name: 'past', role: 'clinician', expiresAt: '2001-01-01T00:00:00Z' } })).status,
    ).toBe(400);
  });

  it('records searches, case views and every change in the audit trail, paginated', async () => {
    const key = await createKey('clinician');
    const search = await call('POST', '/api/v1/search?k=2', { key: key.secret, body: await imageForm(9) });
    const hit = ((await search.json()) as SearchResponse).results[0]!;
    expect((await call('GET', `/api/v1/images/${hit.imageId}`, { key: key.secret })).status).toBe(200);

    const audit = async (query: string) => (await (await call('GET', `/api/v1/audit?${query}`, { session: admin })).json()) as AuditPage;
    const searches = await audit(`action=search.image&actorId=${key.apiKey.id}`);
    expect(searches.events).toHaveLength(1);
    expect(searches.events[0]).toMatchObject({ actorType: 'api_key', actorName: 'clinician key' });
    expect(searches.events[0]!.details.queryImageSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(searches.events[0]!.details.modelVersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect((await audit(`action=case.view&targetId=${hit.imageId}`)).events[0]).toMatchObject({ actorId: key.apiKey.id });
    for (const action of ['user.create', 'user.update', 'api_key.create', 'api_key.revoke', 'auth.login', 'auth.login_failed', 'auth.logout']) {
      expect((await audit(`action=${action}`)).events.length, action).toBeGreaterThan(0);
    }

    const page1 = await audit('limit=3');
    expect(page1.events).toHaveLength(3);
    const page2 = await audit(`limit=3&before=${page1.nextBefore}`);
    expect(page2.events.map((e) => e.action)).not.toEqual(page1.events.map((e) => e.action).slice(0, 0));
    const ids = [...page1.events, ...page2.events].map((e) => Number(e.id));
    expect(ids).toEqual([...ids].sort((a, b) => b - a));
    expect(new Set(ids).size).toBe(6);
  });

  it('throttles failed sign-ins and rate-limits searches per key', async () => {
    for (let i = 0; i < 5; i++) await call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: `guess-${i}` } });
    const blocked = await call('POST', '/api/v1/auth/login', { json: { username: 'admin', password: TEST_ADMIN_PASSWORD } });
    expect(blocked.status).toBe(429);

    const busy = await createKey('clinician');
    const calm = await createKey('clinician');
    const statuses: number[] = [];
    for (let i = 0; i < 10; i++) {
      statuses.push((await call('POST', '/api/v1/search/vector', { key: busy.secret, json: { vector: Array(128).fill(0), k: 1 } })).status);
    }
    expect(statuses.slice(0, 8).every((s) => s === 200)).toBe(true);
    expect(statuses.slice(8)).toEqual([429, 429]);
    expect((await call('POST', '/api/v1/search/vector', { key: calm.secret, json: { vector: Array(128).fill(0), k: 1 } })).status).toBe(200);
  });

  it('sends security headers and keeps patient ids and file names out of the log', async () => {
    const response = await fetch(url('/healthz'));
    expect(response.headers.get('content-security-policy')).toContain("default-src 'self'");
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('x-frame-options')).toBe('SAMEORIGIN');
    const text = logs.join('');
    expect(text.length).toBeGreaterThan(0);
    expect(text).not.toMatch(/demo-patient-\d/);
    expect(text).not.toMatch(/demo-\d{4}\.jpg/);
    expect(text).not.toContain(TEST_ADMIN_PASSWORD);
  });
});
