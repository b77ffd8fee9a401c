import type { AuditPage, CreatedApiKey, ErrorBody, ImageList, Job, Readiness, User, UserList } from '@cbmir/contract';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openTestServer, requestAs, signIn, type TestRequestOptions, type TestServer, type TestSession } from './test-server.ts';

// Findings of the outside security review (issue 12), each against the real server and database.
let server: TestServer;
let admin: TestSession;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: '3',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_MAX_UPLOAD_MB: '1',
  });
  admin = await signIn(server.url);
});

afterAll(async () => {
  await server?.close();
});

const url = (path: string) => `${server.url}${path}`;

const call = (method: string, path: string, options?: TestRequestOptions) => requestAs(server.url, method, path, options);

describe(`API keys are bounded by their creator (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('a key acts with the lesser of its role and its creator’s current role, and dies when its creator is disabled', async () => {
    const created = await call('POST', '/api/v1/users', { session: admin, json: { username: 'key.minter', password: 'key-minter-password', role: 'admin' } });
    expect(created.status).toBe(201);
    const minterId = ((await created.json()) as User).id;
    const minter = await signIn(server.url, 'key.minter', 'key-minter-password');
    const minted = await call('POST', '/api/v1/api-keys', { session: minter, json: { name: 'minted admin key', role: 'admin' } });
    expect(minted.status).toBe(201);
    const key = ((await minted.json()) as CreatedApiKey).secret;
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
    const { users } = (await (await call('GET', '/api/v1/users', { session: admin })).json()) as UserList;
    expect(users.map((u) => u.username)).not.toContain('sneaky');

    // Re-enabled: the key works again (revoke it to end it for good).
    expect((await call('PATCH', `/api/v1/users/${minterId}`, { session: admin, json: { disabled: false } })).status).toBe(200);
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(200);
  });
});

describe(`huge numbers are refused with 400, not a database error (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('vector entries beyond float4, and offsets, cursors and sequence numbers beyond the columns', async () => {
    const ready = (await (await fetch(url('/readyz'))).json()) as Readiness;
    const vector = Array<number>(ready.model!.embeddingDim).fill(0);
    vector[0] = 1e300;
    const huge = await call('POST', '/api/v1/search/vector', { session: admin, json: { vector, k: 1 } });
    expect(huge.status).toBe(400);
    expect((await huge.json()).error).toBe('invalid_request');

    expect((await call('GET', '/api/v1/images?offset=1e30', { session: admin })).status).toBe(400);
    expect((await call('GET', '/api/v1/images?offset=3000000000', { session: admin })).status).toBe(400);
    expect((await call('GET', `/api/v1/audit?before=${'9'.repeat(30)}`, { session: admin })).status).toBe(400);

    const job = await uploadTinyArchive();
    expect((await call('GET', `/api/v1/jobs/${job}/items?after=3000000000`, { session: admin })).status).toBe(400);
    expect((await call('GET', `/api/v1/jobs/${job}/items?after=5`, { session: admin })).status).toBe(200);
  });
});

describe(`error messages say what happened and leak nothing (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('a JSON body over its 1 MB limit says so (413), not the 1 MB upload limit of images', async () => {
    const response = await call('POST', '/api/v1/search/vector', {
      session: admin,
      body: JSON.stringify({ vector: Array(300_000).fill(0.123456) }),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.status).toBe(413);
    const body = await response.json();
    expect(body.message).toMatch(/JSON/);
    expect(body.message).toMatch(/1 MB/);
  });

  it('an image over the upload limit is 413 too_large, whatever its content', async () => {
    const { generateSyntheticFundus } = await import('@cbmir/imaging');
    const jpeg = await generateSyntheticFundus({ seed: 3, grade: 1 });
    // A real JPEG header followed by more bytes than CBMIR_MAX_UPLOAD_MB (1 MB) allows.
    for (const size of [1024 * 1024 + 1, 2 * 1024 * 1024, 12 * 1024 * 1024]) {
      const big = new Uint8Array(size);
      big.set(jpeg.subarray(0, Math.min(jpeg.length, big.length)));
      const form = new FormData();
      form.append('image', new Blob([big]), 'big.jpg');
      const response = await call('POST', '/api/v1/search', { session: admin, body: form });
      expect(response.status, `${size} bytes`).toBe(413);
      expect((await response.json()).error).toBe('too_large');
    }
  });

  it('an undecodable image or a broken form gets our message, not libvips’ or busboy’s', async () => {
    const { generateSyntheticFundus } = await import('@cbmir/imaging');
    const jpeg = await generateSyntheticFundus({ seed: 4, grade: 1 });
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(jpeg.subarray(0, Math.floor(jpeg.length / 2)))]), 'cut.jpg');
    const cut = await call('POST', '/api/v1/search', { session: admin, body: form });
    expect(cut.status).toBe(422);
    const cutBody = await cut.json();
    expect(cutBody.error).toBe('undecodable');
    expect(cutBody.message).not.toMatch(/vips|jpeg2rgb|VipsJpeg|Premature|\(/i);

    const broken = await call('POST', '/api/v1/search', {
      session: admin,
      body: '--xyz\r\nContent-Disposition: form-data; name="image"; filename="a.jpg"\r\n\r\nabc',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(broken.status).toBeGreaterThanOrEqual(400);
    expect(broken.status).toBeLessThan(500);
    expect((await broken.json()).message).not.toMatch(/Unexpected end|busboy|Part terminated|Malformed part/i);

    const brokenArchive = await call('POST', '/api/v1/archives', {
      session: admin,
      body: '--xyz\r\nContent-Disposition: form-data; name="archive"; filename="a.zip"\r\n\r\nPK',
      headers: { 'content-type': 'multipart/form-data; boundary=xyz' },
    });
    expect(brokenArchive.status).toBe(400);
    const archiveBody = await brokenArchive.json();
    expect(archiveBody.error).toBe('bad_multipart');
    expect(archiveBody.message).not.toMatch(/Unexpected end|busboy|Part terminated|Malformed part/i);
  });

  it('model registration does not tell whether a server path exists, nor echo a file’s content', async () => {
    const secretFile = join(server.dataDir, 'secret-notes');
    const { mkdirSync, writeFileSync } = await import('node:fs');
    mkdirSync(secretFile, { recursive: true });
    writeFileSync(join(secretFile, 'model.json'), 'the secret content of a server file');
    const messages: string[] = [];
    for (const path of ['/no/such/dir', '/etc', secretFile]) {
      const response = await call('POST', '/api/v1/models', { session: admin, json: { path } });
      expect(response.status, path).toBe(400);
      const body = (await response.json()) as ErrorBody;
      expect(body.error).toBe('invalid_model');
      expect(body.message).not.toContain('secret content');
      expect(body.message).not.toMatch(/ENOENT|EISDIR|EACCES|no such file/i);
      messages.push(body.message.replaceAll(path, '<path>'));
    }
    expect(new Set(messages).size).toBe(1);
  });
});

async function uploadTinyArchive(): Promise<string> {
  const { buildZip } = await import('@cbmir/core');
  const { generateSyntheticFundus } = await import('@cbmir/imaging');
  const form = new FormData();
  form.append('archive', new Blob([new Uint8Array(buildZip([{ name: 'a.jpg', data: await generateSyntheticFundus({ seed: 11, grade: 2 }) }]))]), 'tiny.zip');
  const response = await call('POST', '/api/v1/archives', { session: admin, body: form });
  expect(response.status).toBe(202);
  return ((await response.json()) as Job).id;
}

describe(`the audit trail records reads of patient images and refusals, in bounds (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  const audit = async (query: string) => ((await (await call('GET', `/api/v1/audit?limit=500&${query}`, { session: admin })).json()) as AuditPage).events;

  it('the image list, thumbnails, originals, similar cases and embeddings are audited per caller', async () => {
    const issued = await call('POST', '/api/v1/api-keys', { session: admin, json: { name: 'reader', role: 'clinician' } });
    const { apiKey, secret: key } = (await issued.json()) as CreatedApiKey;
    const list = (await (await call('GET', '/api/v1/images?limit=2', { key })).json()) as ImageList;
    const id = list.images[0]!.id;
    for (const path of [
      `/api/v1/images/${id}/thumbnail`,
      `/api/v1/images/${id}/original`,
      `/api/v1/images/${id}/similar?k=2`,
      `/api/v1/images/${id}/embedding`,
    ]) {
      expect((await call('GET', path, { key })).status, path).toBe(200);
    }
    const events = await audit(`actorId=${apiKey.id}`);
    expect(events.map((e) => e.action).sort()).toEqual(['image.embedding', 'image.list', 'image.original', 'image.thumbnail', 'search.similar']);
    expect(events.filter((e) => e.action !== 'image.list').every((e) => e.targetId === id)).toBe(true);
  });

  it('refused uploads and 401/403 are recorded, a flood of them only in bounds', async () => {
    const issued = await call('POST', '/api/v1/api-keys', { session: admin, json: { name: 'refused', role: 'clinician' } });
    const { apiKey, secret: key } = (await issued.json()) as CreatedApiKey;
    const form = new FormData();
    form.append('image', new Blob([new TextEncoder().encode('not an image at all')]), 'notes.txt');
    expect((await call('POST', '/api/v1/search', { key, body: form })).status).toBe(415);
    expect((await call('GET', '/api/v1/users', { key })).status).toBe(403);
    const mine = await audit(`actorId=${apiKey.id}`);
    expect(mine.find((e) => e.action === 'upload.refused')).toMatchObject({ details: { status: 415, route: 'POST /api/v1/search' } });
    expect(mine.find((e) => e.action === 'access.denied')).toMatchObject({ details: { status: 403, route: 'GET /api/v1/users', error: 'forbidden' } });

    const before = (await audit('action=access.denied')).filter((e) => e.actorType === 'anonymous').length;
    for (let i = 0; i < 30; i++) expect((await call('GET', '/api/v1/images', { key: `cbmir_made-up-${i}` })).status).toBe(401);
    const anonymous = (await audit('action=access.denied')).filter((e) => e.actorType === 'anonymous');
    expect(anonymous.length - before).toBeGreaterThan(0);
    expect(anonymous.length - before).toBeLessThanOrEqual(10);
  });
});
