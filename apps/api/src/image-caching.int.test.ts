import type { ImageList, ImageRecord } from '@cbmir/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// Thumbnails and originals are content-addressed, so browsers and proxies may keep them: an ETag, and
// 304 Not Modified (no body, no file read) when the client's copy is current.
let server: TestServer;
let apiKey: string;
let imageId: string;
let sha256: string;

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, { headers: { authorization: `Bearer ${apiKey}`, ...headers } });

beforeAll(async () => {
  server = await openTestServer({ CBMIR_DEMO_IMAGES: '2', CBMIR_DEMO_TRAIN_SECONDS: '0' });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  const list = (await (await get('/api/v1/images?limit=1')).json()) as ImageList;
  imageId = list.images[0]!.id;
  sha256 = ((await (await get(`/api/v1/images/${imageId}`)).json()) as ImageRecord).sha256;
});

afterAll(async () => {
  await server?.close();
});

describe(`image caching (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  for (const [what, path, etag] of [
    ['thumbnail', 'thumbnail', () => `"${sha256}-thumb"`],
    ['original', 'original', () => `"${sha256}"`],
  ] as const) {
    it(`serves the ${what} with an ETag and answers a current copy with 304, a stale one with the bytes`, async () => {
      const first = await get(`/api/v1/images/${imageId}/${path}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('etag')).toBe(etag());
      expect(first.headers.get('cache-control')).toBe('private, max-age=86400');
      const bytes = new Uint8Array(await first.arrayBuffer());
      expect(bytes.length).toBeGreaterThan(100);

      const again = await get(`/api/v1/images/${imageId}/${path}`, { 'if-none-match': etag() });
      expect(again.status).toBe(304);
      expect((await again.arrayBuffer()).byteLength).toBe(0);
      expect(again.headers.get('etag')).toBe(etag());
      expect((await get(`/api/v1/images/${imageId}/${path}`, { 'if-none-match': `"other", W/${etag()}` })).status).toBe(304);

      const stale = await get(`/api/v1/images/${imageId}/${path}`, { 'if-none-match': '"0000"' });
      expect(stale.status).toBe(200);
      expect(new Uint8Array(await stale.arrayBuffer())).toEqual(bytes);
    });
  }

  it('never answers 304 to a caller without access', async () => {
    const anonymous = await fetch(`${server.url}/api/v1/images/${imageId}/thumbnail`, { headers: { 'if-none-match': `"${sha256}-thumb"` } });
    expect(anonymous.status).toBe(401);
  });
});
