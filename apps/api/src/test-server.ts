import { startServer, type RunningServer } from './server.ts';

/** For integration tests: the admin password every test server starts with. */
export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

/**
 * For integration tests: the real server on a free local port, with a known admin password, quiet logs and
 * the untrained default model (set CBMIR_DEFAULT_MODEL to start from another, e.g. the shipped one).
 * `env` adds to or overrides those (CBMIR_DATA_DIR, DATABASE_URL from createTestDatabase, limits, ...).
 */
export function startTestServer(env: Record<string, string | undefined>, options?: Parameters<typeof startServer>[1]): Promise<RunningServer> {
  // The seeded untrained model unless a test asks for another: quick to start, and what the tests were written for.
  return startServer({ PORT: '0', HOST: '127.0.0.1', CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD, LOG_LEVEL: 'warn', CBMIR_DEFAULT_MODEL: 'untrained', ...env }, options);
}

/** A signed-in browser session: the cookie to send and the CSRF token that state-changing requests need. */
export interface TestSession {
  cookie: string;
  csrfToken: string;
}

export async function signIn(serverUrl: string, username = 'admin', password = TEST_ADMIN_PASSWORD): Promise<TestSession> {
  const response = await fetch(`${serverUrl}/api/v1/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ username, password }),
  });
  if (response.status !== 200) throw new Error(`sign-in as ${username} failed: ${response.status} ${await response.text()}`);
  const { csrfToken } = (await response.json()) as { csrfToken: string };
  return { cookie: response.headers.getSetCookie()[0]!.split(';')[0]!, csrfToken };
}

/** Signs in as the admin and issues an API key with `role`; returns its secret (for `Authorization: Bearer`). */
export async function issueTestApiKey(serverUrl: string, role: 'admin' | 'clinician', name = `test ${role} key`): Promise<string> {
  const { cookie, csrfToken } = await signIn(serverUrl);
  const response = await fetch(`${serverUrl}/api/v1/api-keys`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
    body: JSON.stringify({ name, role }),
  });
  if (response.status !== 201) throw new Error(`issuing a ${role} key failed: ${response.status} ${await response.text()}`);
  return ((await response.json()) as { secret: string }).secret;
}
