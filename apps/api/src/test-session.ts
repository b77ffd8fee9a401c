// For integration tests: signing in to a running server (in this process or another) and issuing API keys.

/** For integration tests: the admin password every test server starts with. */
export const TEST_ADMIN_PASSWORD = 'admin-password-for-tests';

/** A signed-in browser session: the cookie to send and the CSRF token that state-changing requests need. */
export interface TestSession {
  cookie: string;
  csrfToken: string;
}

/** The headers a state-changing request of `session` sends. */
export const sessionHeaders = (session: TestSession) => ({ cookie: session.cookie, 'x-csrf-token': session.csrfToken });

/** How requestAs sends a request: as a signed-in browser or with an API key, with a JSON or a raw body. */
export interface TestRequestOptions {
  /** sends its cookie, and its CSRF header unless csrf is false */
  session?: TestSession;
  csrf?: boolean;
  key?: string;
  json?: unknown;
  body?: BodyInit;
  headers?: Record<string, string>;
}

export function requestAs(serverUrl: string, method: string, path: string, options: TestRequestOptions = {}): Promise<Response> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.session) {
    headers.cookie = options.session.cookie;
    if (options.csrf !== false) headers['x-csrf-token'] = options.session.csrfToken;
  }
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  let body = options.body;
  if (options.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(options.json);
  }
  return fetch(`${serverUrl}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
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
