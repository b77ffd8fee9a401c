import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIRST_START_CREDENTIALS_FILE, type RunningServer } from './server.ts';
import { signIn, startTestServer } from './test-server.ts';

// Secrets stay out of what others read: the console (docker logs), the log, and the audit trail.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-secrets-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let console = '';

beforeAll(async () => {
  target = await createTestDatabase();
  const logDestination = new PassThrough();
  logDestination.on('data', (chunk: Buffer) => {
    console += chunk.toString();
  });
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    console += chunk.toString();
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  try {
    server = await startTestServer(
      {
        CBMIR_DATA_DIR: dataDir,
        CBMIR_ADMIN_PASSWORD: undefined, // generated at first start
        CBMIR_DEMO_IMAGES: '1',
        CBMIR_DEMO_TRAIN_SECONDS: '0',
        LOG_LEVEL: 'info',
        ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
      },
      { logDestination },
    );
  } finally {
    process.stderr.write = write;
  }
});

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`first-start secrets and typed usernames (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('the first-start password and API key go to a 0600 file in the data directory; the console only names the file', async () => {
    const path = join(dataDir, FIRST_START_CREDENTIALS_FILE);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    const text = readFileSync(path, 'utf8');
    const key = /(cbmir_[\w-]{20,})/.exec(text)![1]!;
    const password = /admin \/ (\S+)/.exec(text)![1]!;
    expect(console).toContain(path);
    expect(console).not.toContain(key);
    expect(console).not.toContain(password);
    expect(console).not.toMatch(/cbmir_[\w-]{20,}/);

    expect((await fetch(`${server.url}/api/v1/images?limit=1`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
    await signIn(server.url, 'admin', password);
  });

  it('a failed sign-in is audited without the typed username (often a password typed in the wrong field)', async () => {
    const typed = 'Tr0ub4dor&3-typed-as-a-name';
    const failed = await fetch(`${server.url}/api/v1/auth/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: typed, password: 'whatever-password' }),
    });
    expect(failed.status).toBe(401);
    const password = /admin \/ (\S+)/.exec(readFileSync(join(dataDir, FIRST_START_CREDENTIALS_FILE), 'utf8'))![1]!;
    const admin = await signIn(server.url, 'admin', password);
    const audit = await (await fetch(`${server.url}/api/v1/audit?action=auth.login_failed`, { headers: { cookie: admin.cookie } })).text();
    expect(audit).toContain('auth.login_failed');
    expect(audit).not.toContain(typed);
    expect(console).not.toContain(typed);
  });
});
