import { type CbmirClient, createClient, type SearchResponse } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// The real API in-process: real database (PGlite or PostgreSQL + pgvector, per vitest project), the real
// ResNet-50 embedder, real HTTP. Only the demo images are synthetic.
const DEMO_IMAGES = 10;
let server: TestServer;
/** A clinician's API key: every call below is an authorised REST client's (auth.int.test.ts covers refusals). */
let apiKey: string;
/** The typed client with that key: what it can express goes through it; malformed requests go through fetch. */
let client: CbmirClient;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_MAX_UPLOAD_MB: '2',
  });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  client = createClient({ baseUrl: server.url, apiKey });
});

afterAll(async () => {
  await server?.close();
});

const url = (path: string) => `${server.url}${path}`;
const fetch = (input: string, init: RequestInit = {}) =>
  globalThis.fetch(input, { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${apiKey}` } });

async function searchWith(bytes: Uint8Array, fileName = 'query.jpg', k?: number, field = 'image') {
  const form = new FormData();
  form.append(field, new Blob([new Uint8Array(bytes)]), fileName);
  return fetch(url(`/api/v1/search${k === undefined ? '' : `?k=${k}`}`), { method: 'POST', body: form });
}

async function expectError(response: Response, status: number, code?: string) {
  expect(response.status).toBe(status);
  const body = (await response.json()) as { error: string; message: string };
  expect(body.message.length).toBeGreaterThan(0);
  if (code) expect(body.error).toBe(code);
  return body;
}

const photo = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]);

describe(`REST API (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('reports liveness and readiness with the untrained seeded model', async () => {
    expect(await (await fetch(url('/healthz'))).json()).toEqual({ status: 'ok' });
    const ready = await client.readiness();
    expect(ready).toMatchObject({ status: 'ready', database: true, images: DEMO_IMAGES });
    expect(ready.model).toMatchObject({ architecture: 'resnet50', embeddingDim: 128, trained: false, active: true });
    expect(typeof ready.backend).toBe('string');
  });

  it('searches by an uploaded image: k results ordered by L2 distance with working thumbnails', async () => {
    const response = await searchWith(await generateSyntheticFundus({ seed: 77, grade: 2 }), 'query.jpg', 5);
    expect(response.status).toBe(200);
    expect(response.headers.get('server-timing')).toMatch(/^decode;dur=[\d.]+, preprocess;dur=[\d.]+, embed;dur=[\d.]+, knn;dur=[\d.]+, batch;desc="\d+"$/);
    const body = (await response.json()) as SearchResponse;
    expect(body.model.embeddingDim).toBe(128);
    expect(body.results).toHaveLength(5);
    const distances = body.results.map((r) => r.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    const thumbnail = await fetch(url(body.results[0]!.thumbnailUrl));
    expect(thumbnail.headers.get('content-type')).toBe('image/jpeg');
    expect((await sharp(Buffer.from(await thumbnail.arrayBuffer())).metadata()).width).toBeLessThanOrEqual(256);
  });

  it('finds a stored image itself first, at distance ~0: queries are preprocessed exactly like the database', async () => {
    const demo = await generateSyntheticFundus({ seed: 1003, grade: 3 }); // the 4th seeded demo image
    const body = await client.searchByImage(photo(demo));
    expect(body.results).toHaveLength(10);
    expect(body.results[0]!.distance).toBeLessThan(1e-3);
    expect(body.results[0]!.grade).toBe(3);
    expect(body.results[1]!.distance).toBeGreaterThan(body.results[0]!.distance);
  });

  it('accepts PNG, TIFF and WebP', async () => {
    const jpeg = await generateSyntheticFundus({ seed: 5, grade: 1 });
    for (const format of ['png', 'tiff', 'webp'] as const) {
      const bytes = await sharp(jpeg).toFormat(format).toBuffer();
      const body = await client.searchByImage(photo(bytes), { fileName: `query.${format}`, k: 3 });
      expect(body.results, format).toHaveLength(3);
    }
  });

  it('refuses bad uploads with a 4xx JSON error and keeps serving', async () => {
    await expectError(await searchWith(new TextEncoder().encode('not an image at all'), 'notes.txt'), 415, 'unsupported_type');
    const jpeg = await generateSyntheticFundus({ seed: 6, grade: 0 });
    await expectError(await searchWith(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'cut.jpg'), 422, 'undecodable');
    await expectError(await searchWith(new Uint8Array(3 * 1024 * 1024).fill(0xff), 'big.jpg'), 413, 'too_large');
    // A PNG header that claims 60000 x 60000 pixels: refused before any pixel is allocated.
    const hugeHeader = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#800' } })
      .png()
      .toBuffer();
    hugeHeader.writeUInt32BE(60000, 16);
    hugeHeader.writeUInt32BE(60000, 20);
    expect((await searchWith(hugeHeader, 'huge.png')).status).toBeGreaterThanOrEqual(400);
    await expectError(await searchWith(jpeg, 'query.jpg', undefined, 'photo'), 400, 'missing_image');
    await expectError(await fetch(url('/api/v1/search'), { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }), 415);
    await expectError(await searchWith(jpeg, 'query.jpg', 0), 400, 'invalid_request');
    await expectError(await searchWith(jpeg, 'query.jpg', 101), 400, 'invalid_request');
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('serves a case, its original, its similar cases (itself excluded) and its embedding', async () => {
    const first = (await client.searchByImage(photo(await generateSyntheticFundus({ seed: 8, grade: 4 })), { fileName: 'q.jpg', k: 1 })).results[0]!;
    const image = await client.image(first.imageId);
    expect(image).toMatchObject({ id: first.imageId, width: 256, height: 256, format: 'jpeg', source: 'demo' });
    expect(image.patientRef).toMatch(/^demo-patient-/);
    const original = await fetch(url(image.originalUrl));
    expect(original.headers.get('content-type')).toBe('image/jpeg');

    const similar = await client.similar(first.imageId, 4);
    expect(similar.results).toHaveLength(4);
    expect(similar.results.map((r) => r.imageId)).not.toContain(first.imageId);

    const embedding = await client.embedding(first.imageId);
    expect(embedding.vector).toHaveLength(128);
    const nearest = await client.searchByVector(embedding.vector, 3);
    expect(nearest.results[0]!.imageId).toBe(first.imageId);
    expect(nearest.results[0]!.distance).toBeLessThan(1e-4);
  });

  it('lists stored cases page by page', async () => {
    const first = await client.images({ limit: 4 });
    expect(first).toMatchObject({ total: DEMO_IMAGES, limit: 4, offset: 0 });
    expect(first.images).toHaveLength(4);
    const rest = await client.images({ limit: 100, offset: 4 });
    expect(rest.images).toHaveLength(DEMO_IMAGES - 4);
    const ids = [...first.images, ...rest.images].map((image) => image.id);
    expect(new Set(ids).size).toBe(DEMO_IMAGES);
    expect((await client.images({ source: 'elsewhere' })).total).toBe(0);
    await expectError(await fetch(url('/api/v1/images?limit=0')), 400, 'invalid_request');
  });

  it('refuses unknown ids and bad vectors', async () => {
    await expectError(await fetch(url('/api/v1/images/00000000-0000-4000-8000-000000000000')), 404, 'not_found');
    await expectError(await fetch(url('/api/v1/images/00000000-0000-4000-8000-000000000000/thumbnail')), 404);
    await expectError(await fetch(url('/api/v1/images/00000000-0000-4000-8000-000000000000/similar')), 404);
    await expectError(await fetch(url('/api/v1/images/1')), 400, 'invalid_request');
    const post = (body: string) => fetch(url('/api/v1/search/vector'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    await expectError(await post(JSON.stringify({ vector: [1, 2, 3] })), 400, 'wrong_dimension');
    await expectError(await post(JSON.stringify({ vector: [...Array(127).fill(0), 'NaN'] })), 400);
    await expectError(await post(JSON.stringify({ vector: [...Array(127).fill(0), null] })), 400);
    // JSON.parse reads 1e999 as Infinity: refused before it reaches pgvector.
    await expectError(await post(`{"vector": [1e999${',0'.repeat(127)}]}`), 400);
    await expectError(await post('{"vector": [1, 2'), 400);
    await expectError(await fetch(url('/api/v1/nothing-here')), 404, 'not_found');
  });

  it('documents every route in OpenAPI at /api/docs', async () => {
    const doc = await (await fetch(url('/api/docs/json'))).json();
    for (const path of [
      '/api/v1/search',
      '/api/v1/search/vector',
      '/api/v1/images/{id}',
      '/api/v1/images/{id}/thumbnail',
      '/api/v1/images/{id}/similar',
      '/api/v1/images/{id}/embedding',
      '/healthz',
      '/readyz',
    ]) {
      expect(Object.keys(doc.paths)).toContain(path);
    }
    expect((await fetch(url('/api/docs'))).status).toBe(200);
  });
});
