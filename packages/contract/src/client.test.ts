import { describe, expect, expectTypeOf, it } from 'vitest';
import { ApiError, type CbmirClient, createClient } from './client.ts';
import type { EvaluationPage } from './evaluation-schemas.ts';
import type { Explanation } from './explanation-schemas.ts';
import { type RouteName, routePath, routes } from './routes.ts';
import type { ImageRecord, Job, ModelVersionDetail, SearchResponse, SessionResponse } from './schemas.ts';

const ID = '0b6f7a52-3c1d-4e7a-9f43-5d2a8c6e1b90';
const OTHER = 'a3c9e1f4-7b2d-4c58-8e61-2f9d0b7c4a13';
const png = new Blob([new Uint8Array([137, 80, 78, 71])], { type: 'image/png' });

interface Sent {
  method: string;
  url: URL;
  headers: Headers;
  body: BodyInit | null | undefined;
}

/** A client whose fetch records each request and answers with `answer` (by default a 500 error body). */
function recordingClient(answer: (sent: Sent) => Response = () => Response.json({ error: 'recorded', message: 'recorded' }, { status: 500 }), apiKey?: string) {
  const sent: Sent[] = [];
  const client = createClient({
    baseUrl: 'http://cbmir.test/',
    apiKey,
    fetch: async (input, init) => {
      const request = { method: init?.method ?? 'GET', url: new URL(String(input)), headers: new Headers(init?.headers), body: init?.body };
      sent.push(request);
      return answer(request);
    },
  });
  return { client, sent };
}

/** The table entry whose method and path pattern a request matches. */
function routeOf(method: string, pathname: string): RouteName | undefined {
  return (Object.keys(routes) as RouteName[]).find((name) => {
    const route = routes[name];
    const pattern = new RegExp(`^${route.path.replace(/:\w+/g, '[^/]+')}$`);
    return route.method === method && pattern.test(pathname);
  });
}

/** Every method of the client, with the route it must call (or link to). */
const CLIENT_CALLS: Record<keyof CbmirClient, [RouteName, (client: CbmirClient) => Promise<unknown> | string]> = {
  readiness: ['readiness', (c) => c.readiness()],
  searchByImage: ['searchByImage', (c) => c.searchByImage(png, { k: 3, filters: { grade: '2-4' }, region: { x: 0.1, y: 0.2, width: 0.5, height: 0.5 } })],
  refineSearch: ['refineSearch', (c) => c.refineSearch({ vector: [1, 2], liked: [ID], disliked: [] })],
  mySearches: ['mySearches', (c) => c.mySearches({ limit: 5 })],
  mySearchQueryUrl: ['mySearchQuery', (c) => c.mySearchQueryUrl(ID)],
  searchByVector: ['searchByVector', (c) => c.searchByVector([0.5, 0.25], 4, { eye: 'left' })],
  image: ['image', (c) => c.image(ID)],
  images: ['images', (c) => c.images({ limit: 10, offset: 20 })],
  similar: ['similar', (c) => c.similar(ID, 5, { excludeSamePatient: true })],
  samePatient: ['samePatient', (c) => c.samePatient(ID)],
  embedding: ['embedding', (c) => c.embedding(ID)],
  thumbnailUrl: ['thumbnail', (c) => c.thumbnailUrl(ID)],
  preprocessedUrl: ['preprocessed', (c) => c.preprocessedUrl(ID)],
  preprocess: ['preprocess', (c) => c.preprocess(png)],
  explainUpload: ['explainUpload', (c) => c.explainUpload(png, ID, { occlude: 'case' })],
  explainStored: ['explainStored', (c) => c.explainStored(ID, OTHER)],
  login: ['login', (c) => c.login('admin', 'secret')],
  session: ['session', (c) => c.session()],
  logout: ['logout', (c) => c.logout()],
  models: ['models', (c) => c.models()],
  model: ['model', (c) => c.model(ID)],
  registerModel: ['registerModel', (c) => c.registerModel({ path: '/models/a' })],
  modelEvaluations: ['modelEvaluations', (c) => c.modelEvaluations(ID, { limit: 2 })],
  activateModel: ['activateModel', (c) => c.activateModel(ID)],
  users: ['users', (c) => c.users()],
  createUser: ['createUser', (c) => c.createUser({ username: 'ana', password: 'long enough password', role: 'clinician' })],
  updateUser: ['updateUser', (c) => c.updateUser(ID, { disabled: true })],
  apiKeys: ['apiKeys', (c) => c.apiKeys()],
  createApiKey: ['createApiKey', (c) => c.createApiKey({ name: 'script', role: 'clinician' })],
  revokeApiKey: ['revokeApiKey', (c) => c.revokeApiKey(ID)],
  audit: ['audit', (c) => c.audit({ action: 'search.image' })],
  uploadArchive: ['uploadArchive', (c) => c.uploadArchive(new Blob(['zip']), { source: 'eyepacs' })],
  jobs: ['jobs', (c) => c.jobs({ status: 'running' })],
  job: ['job', (c) => c.job(ID)],
  jobItems: ['jobItems', (c) => c.jobItems(ID, { status: 'failed' })],
  cancelJob: ['cancelJob', (c) => c.cancelJob(ID)],
  jobEventsUrl: ['jobEvents', (c) => c.jobEventsUrl(ID)],
};

/** Routes only the server's own pages, the CLI or scrapers use: the client has no method for them. */
const SERVER_ONLY: RouteName[] = ['health', 'metrics', 'backupDatabase', 'original', 'mySearchThumbnail'];

describe('typed client over the route table', () => {
  it('sends every call with the method and path of its route-table entry', async () => {
    expect(Object.keys(CLIENT_CALLS).sort()).toEqual(Object.keys(createClient()).sort());
    for (const [method, [name, invoke]] of Object.entries(CLIENT_CALLS)) {
      const { client, sent } = recordingClient();
      const result = invoke(client);
      if (typeof result === 'string') {
        const url = new URL(result);
        expect(routeOf(routes[name].method, url.pathname), method).toBe(name);
        expect(routes[name].method, method).toBe('GET');
        continue;
      }
      await expect(result, method).rejects.toMatchObject({ status: 500, code: 'recorded' });
      expect(sent, method).toHaveLength(1);
      expect(routeOf(sent[0]!.method, sent[0]!.url.pathname), method).toBe(name);
    }
    const called = new Set(Object.values(CLIENT_CALLS).map(([name]) => name));
    expect((Object.keys(routes) as RouteName[]).filter((name) => !called.has(name)).sort()).toEqual([...SERVER_ONLY].sort());
  });

  it('fills path parameters URI-encoded and sends query, JSON body or form as the route says', async () => {
    const { client, sent } = recordingClient();
    await client.similar('a/b c', 5, { grade: '2-4', excludeSamePatient: true }).catch(() => undefined);
    expect(sent[0]!.url.pathname).toBe('/api/v1/images/a%2Fb%20c/similar');
    expect(Object.fromEntries(sent[0]!.url.searchParams)).toEqual({ k: '5', grade: '2-4', excludeSamePatient: 'true' });
    expect(sent[0]!.body).toBeUndefined();

    await client.searchByVector([0.5], undefined, { eye: 'left' }).catch(() => undefined);
    expect(sent[1]!.headers.get('content-type')).toBe('application/json');
    expect(JSON.parse(String(sent[1]!.body))).toEqual({ vector: [0.5], filters: { eye: 'left' } });

    await client.searchByImage(png, { fileName: 'eye.png' }).catch(() => undefined);
    expect(sent[2]!.url.search).toBe('');
    expect(sent[2]!.body).toBeInstanceOf(FormData);
    expect(((sent[2]!.body as FormData).get('image') as File).name).toBe('eye.png');

    expect(routePath(routes.jobItems, { id: 'x y' })).toBe('/api/v1/jobs/x%20y/items');
    expect(() => routePath(routes.jobItems)).toThrow(/no value for the path parameter id/);
  });

  it('returns a JSON answer that matches its route’s response schema, and refuses one that does not', async () => {
    const job: Job = {
      id: ID,
      kind: 'archive',
      status: 'queued',
      format: 'zip',
      fileName: 'a.zip',
      source: 'a',
      labels: null,
      total: 2,
      done: 0,
      added: 0,
      duplicate: 0,
      failed: 0,
      nearDuplicates: 0,
      unlabelled: 0,
      rate: null,
      etaSeconds: null,
      error: null,
      createdBy: null,
      createdAt: '2026-01-02T03:04:05.000Z',
      startedAt: null,
      finishedAt: null,
      updatedAt: '2026-01-02T03:04:05.000Z',
    };
    const good = recordingClient(() => Response.json(job, { status: 202 }));
    await expect(good.client.uploadArchive(new Blob(['zip']))).resolves.toEqual(job);

    const bad = recordingClient(() => Response.json({ ...job, createdAt: 'yesterday' }));
    const refused = await bad.client.job(ID).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 200, code: 'invalid_response' });
    expect((refused as ApiError).message).toMatch(/^GET \/api\/v1\/jobs\/:id answered outside its contract: \/createdAt /);
  });

  it('turns a refusal into an ApiError with the server’s code and message, or the status when the body is not JSON', async () => {
    const json = recordingClient(() => Response.json({ error: 'not_found', message: 'no such image' }, { status: 404 }));
    await expect(json.client.image(ID)).rejects.toMatchObject({ status: 404, code: 'not_found', message: 'no such image' });
    const html = recordingClient(() => new Response('<html>bad gateway</html>', { status: 502 }));
    await expect(html.client.preprocess(png)).rejects.toMatchObject({ status: 502, code: 'http_error', message: 'HTTP 502' });
  });

  it('sends the API key on every call and the session’s CSRF token on state-changing calls only', async () => {
    const session: SessionResponse = { user: { id: ID, username: 'ana', role: 'admin' }, csrfToken: 'csrf-1', expiresAt: '2026-01-02T03:04:05.000Z' };
    const { client, sent } = recordingClient(() => Response.json(session), 'cbmir_key');
    await client.login('ana', 'secret');
    await client.session();
    await client.activateModel(ID).catch(() => undefined);
    expect(sent.map((s) => s.headers.get('authorization'))).toEqual(['Bearer cbmir_key', 'Bearer cbmir_key', 'Bearer cbmir_key']);
    expect(sent.map((s) => s.headers.get('x-csrf-token'))).toEqual([null, null, 'csrf-1']);
  });

  it('types each call’s result from its route’s response schema', () => {
    type Result<K extends keyof CbmirClient> = Awaited<ReturnType<CbmirClient[K]>>;
    expectTypeOf<Result<'image'>>().toEqualTypeOf<ImageRecord>();
    expectTypeOf<Result<'searchByImage'>>().toEqualTypeOf<SearchResponse>();
    expectTypeOf<Result<'activateModel'>>().toEqualTypeOf<ModelVersionDetail>();
    expectTypeOf<Result<'modelEvaluations'>>().toEqualTypeOf<EvaluationPage>();
    expectTypeOf<Result<'explainStored'>>().toEqualTypeOf<Explanation>();
    expectTypeOf<Result<'uploadArchive'>>().toEqualTypeOf<Job>();
    expectTypeOf<Result<'preprocess'>>().toEqualTypeOf<Blob>();
  });
});
