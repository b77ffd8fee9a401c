import type { ImageList } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// One caller must not keep the CPUs busy for everyone: uploads are charged by their pixels, image searches
// queue in bounds, and similar-case queries are rate-limited like searches.
let server: TestServer;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: '3',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_SEARCH_MEGAPIXELS_PER_MINUTE: '20',
    CBMIR_SEARCH_CONCURRENCY: '1',
    CBMIR_SEARCH_QUEUE: '2',
    CBMIR_SEARCH_RATE_LIMIT: '30',
  });
});

afterAll(async () => {
  await server?.close();
});

async function search(key: string, image: Uint8Array) {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(image)]), 'query.jpg');
  return fetch(`${server.url}/api/v1/search?k=1`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
}

describe(`fair use of search (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('charges uploads by their megapixels: two 9 MP searches fit a 20 MP/min budget, a third waits (429, Retry-After); others are not affected', async () => {
    const large = await generateSyntheticFundus({ seed: 5, grade: 2, width: 3000, height: 3000 });
    const small = await generateSyntheticFundus({ seed: 6, grade: 1 });
    const heavy = await issueTestApiKey(server.url, 'clinician', 'heavy');
    const light = await issueTestApiKey(server.url, 'clinician', 'light');
    expect((await search(heavy, large)).status).toBe(200);
    expect((await search(heavy, large)).status).toBe(200);
    const refused = await search(heavy, large);
    expect(refused.status).toBe(429);
    expect((await refused.json()).error).toBe('rate_limited');
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect((await search(light, small)).status).toBe(200);
  });

  it('image searches queue in bounds: beyond one running and two waiting, 503 with Retry-After', async () => {
    const small = await generateSyntheticFundus({ seed: 7, grade: 3 });
    const keys = await Promise.all(Array.from({ length: 8 }, (_, i) => issueTestApiKey(server.url, 'clinician', `burst ${i}`)));
    const responses = await Promise.all(keys.map((key) => search(key, small)));
    const statuses = responses.map((r) => r.status);
    expect(statuses.every((s) => s === 200 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 200).length).toBeGreaterThanOrEqual(3);
    const busy = responses.filter((r) => r.status === 503);
    expect(busy.length).toBeGreaterThan(0);
    expect(busy.every((r) => Number(r.headers.get('retry-after')) > 0)).toBe(true);
  });

  it('similar-case queries are rate-limited per caller like searches', async () => {
    const key = await issueTestApiKey(server.url, 'clinician', 'similar');
    const list = (await (await fetch(`${server.url}/api/v1/images?limit=1`, { headers: { authorization: `Bearer ${key}` } })).json()) as ImageList;
    const similar = () =>
      fetch(`${server.url}/api/v1/images/${list.images[0]!.id}/similar?k=1`, { headers: { authorization: `Bearer ${key}` } }).then((r) => r.status);
    const statuses: number[] = [];
    for (let i = 0; i < 31; i++) statuses.push(await similar());
    expect(statuses.slice(0, 30).every((s) => s === 200)).toBe(true);
    expect(statuses[30]).toBe(429);
  });
});
