import { createClient, ROCCHIO_WEIGHTS, type CbmirClient, type ErrorBody, type SearchResponse } from '@cbmir/contract';
import { generateSyntheticFundus, MIN_REGION_SIDE, regionPixels } from '@cbmir/imaging';
import { rocchio } from '@cbmir/retrieval';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// Refining a search (SMILY, CHI 2019): by region (a rectangle of the query photograph) and by example ("more /
// less like this", Rocchio), against the real server, embedder and database. The demo seed gives 10 cases: eyes
// alternate left/right.
const DEMO_IMAGES = 10;
let server: TestServer;
let apiKey: string;
let client: CbmirClient;
let query: Buffer;
const REGION = { x: 0.3, y: 0.25, width: 0.5, height: 0.45 };

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
  });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  client = createClient({ baseUrl: server.url, apiKey });
  query = await generateSyntheticFundus({ seed: 7, grade: 2, width: 640, height: 480 });
});

afterAll(async () => {
  await server?.close();
});

const blob = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]);
const ranked = (body: SearchResponse) => body.results.map((hit) => [hit.imageId, hit.distance]);
const rankOf = (body: SearchResponse, id: string) => body.results.findIndex((hit) => hit.imageId === id);

async function post(path: string, body: BodyInit, headers: Record<string, string> = {}) {
  const response = await fetch(`${server.url}${path}`, { method: 'POST', body, headers: { ...headers, authorization: `Bearer ${apiKey}` } });
  return { status: response.status, ...((await response.json()) as ErrorBody) };
}
const upload = (path: string) => {
  const form = new FormData();
  form.append('image', blob(query), 'q.jpg');
  return post(path, form);
};
const refine = (body: unknown) => post('/api/v1/search/refine', JSON.stringify(body), { 'content-type': 'application/json' });

describe(`refine by region (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('embeds the crop: unlike the whole photograph, exactly like the same crop uploaded on its own', async () => {
    const whole = await client.searchByImage(blob(query), { k: DEMO_IMAGES });
    const region = await client.searchByImage(blob(query), { k: DEMO_IMAGES, region: REGION });
    expect(region.queryVector).toHaveLength(whole.model.embeddingDim);
    expect(region.queryVector).not.toEqual(whole.queryVector);
    expect(ranked(region)).not.toEqual(ranked(whole));

    const box = regionPixels(REGION, 640, 480);
    expect(box).toEqual({ left: 192, top: 120, width: 320, height: 216 });
    const preCropped = await sharp(query).extract(box).png().toBuffer();
    const alone = await client.searchByImage(blob(preCropped), { k: DEMO_IMAGES });
    expect(alone.queryVector).toEqual(region.queryVector);
    expect(ranked(alone)).toEqual(ranked(region));
  });

  it('refuses a region outside the photograph, without area, too small in pixels, or given in part: 400 with the reason', async () => {
    const q = (region: Record<string, number>) => `/api/v1/search?${new URLSearchParams(Object.entries(region).map(([k, v]) => [k, String(v)]))}`;
    expect(await upload(q({ regionX: 1.5, regionY: 0, regionWidth: 0.5, regionHeight: 0.5 }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/regionX must be <= 1/),
    });
    expect(await upload(q({ regionX: -0.1, regionY: 0, regionWidth: 0.5, regionHeight: 0.5 }))).toMatchObject({
      status: 400,
      message: expect.stringMatching(/regionX must be >= 0/),
    });
    expect(await upload(q({ regionX: 0.2, regionY: 0, regionWidth: 0, regionHeight: 0.5 }))).toMatchObject({
      status: 400,
      error: 'invalid_region',
      message: expect.stringMatching(/no area/),
    });
    expect(await upload(q({ regionX: 0.7, regionY: 0, regionWidth: 0.5, regionHeight: 0.5 }))).toMatchObject({
      status: 400,
      error: 'invalid_region',
      message: expect.stringMatching(/past the right edge/),
    });
    // 0.05 of 640 px is 32 px.
    expect(await upload(q({ regionX: 0.2, regionY: 0.2, regionWidth: 0.05, regionHeight: 0.5 }))).toMatchObject({
      status: 400,
      error: 'invalid_region',
      message: expect.stringContaining(`32x240 px of this 640x480 image; both sides must be at least ${MIN_REGION_SIDE} px`),
    });
    expect(await upload(q({ regionX: 0.2, regionY: 0.2 }))).toMatchObject({ status: 400, error: 'invalid_region', message: expect.stringMatching(/all four/) });
  });
});

describe(`refine by example (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('moves a liked case up and a disliked one down, with the refined query that the stated weights give', async () => {
    const base = await client.searchByImage(blob(query), { k: DEMO_IMAGES });
    const q = base.queryVector!;
    const liked = base.results[6]!.imageId;
    // Whether the small disliked weight (0.15) lets a case fall behind its neighbours depends on where they lie
    // (an untrained network here): mark one that the Rocchio query, worked out from the stored embeddings, ranks lower.
    const vectors = new Map(await Promise.all(base.results.map(async (hit) => [hit.imageId, (await client.embedding(hit.imageId)).vector] as const)));
    const rankUnder = (vector: number[], id: string) =>
      [...vectors]
        .map(([other, v]) => [other, Math.hypot(...v.map((x, i) => x - vector[i]!))] as const)
        .sort((a, b) => a[1] - b[1])
        .findIndex(([other]) => other === id);
    const disliked = base.results
      .slice(1, 10)
      .map((hit) => hit.imageId)
      .find((id) => rankUnder(rocchio(q, [], [vectors.get(id)!], ROCCHIO_WEIGHTS), id) > rankUnder(q, id) + 1)!;
    expect(disliked).toBeDefined();

    const up = await client.refineSearch({ vector: q, liked: [liked], disliked: [], k: DEMO_IMAGES });
    expect(rankOf(up, liked)).toBeLessThan(6);
    const { vector: likedVector } = await client.embedding(liked);
    const expected = rocchio(q, [likedVector], [], ROCCHIO_WEIGHTS);
    up.queryVector!.forEach((value, i) => expect(value).toBeCloseTo(expected[i]!, 6));
    expect(ROCCHIO_WEIGHTS).toEqual({ query: 1, liked: 0.75, disliked: 0.15 });
    // It is the vector search of the refined query.
    expect(ranked(await client.searchByVector(up.queryVector!, DEMO_IMAGES)).map(([id]) => id)).toEqual(ranked(up).map(([id]) => id));

    const down = await client.refineSearch({ vector: q, liked: [], disliked: [disliked], k: DEMO_IMAGES });
    expect(rankOf(down, disliked)).toBeGreaterThan(rankOf(base, disliked));
    // Both at once: the liked case still rises.
    const both = await client.refineSearch({ vector: q, liked: [liked], disliked: [disliked], k: DEMO_IMAGES });
    expect(rankOf(both, liked)).toBeLessThan(6);
  });

  it('keeps the filters', async () => {
    const base = await client.searchByImage(blob(query), { k: DEMO_IMAGES, filters: { eye: 'right' } });
    const refined = await client.refineSearch({
      vector: base.queryVector!,
      liked: [base.results[2]!.imageId],
      disliked: [],
      k: DEMO_IMAGES,
      filters: { eye: 'right' },
    });
    expect(refined.results).toHaveLength(DEMO_IMAGES / 2);
    expect(refined.results.every((hit) => hit.eye === 'right')).toBe(true);
    expect(refined.matching).toBe(DEMO_IMAGES / 2);
  });

  it('refines a case search too: its response carries the case’s embedding', async () => {
    const [first] = (await client.images({ limit: 1 })).images;
    const similar = await client.similar(first!.id, 5);
    expect(similar.queryVector).toEqual((await client.embedding(first!.id)).vector);
  });

  it('refuses no marks, a case marked both ways, a wrong dimension, a malformed id (400) and a case that does not exist (404)', async () => {
    const base = await client.searchByImage(blob(query), { k: 3 });
    const vector = base.queryVector!;
    const id = base.results[0]!.imageId;
    expect(await refine({ vector, liked: [], disliked: [] })).toMatchObject({
      status: 400,
      error: 'no_feedback',
      message: expect.stringMatching(/mark at least one case/),
    });
    expect(await refine({ vector, liked: [id], disliked: [id] })).toMatchObject({
      status: 400,
      error: 'contradictory_feedback',
      message: expect.stringContaining(id),
    });
    expect(await refine({ vector: [1, 2, 3], liked: [id] })).toMatchObject({ status: 400, error: 'wrong_dimension' });
    expect(await refine({ vector, liked: ['not-a-uuid'] })).toMatchObject({ status: 400, error: 'invalid_request' });
    expect(await refine({ vector, liked: [id], filters: { grade: '9' } })).toMatchObject({ status: 400, error: 'invalid_filter' });
    const gone = '00000000-0000-4000-8000-000000000000';
    expect(await refine({ vector, liked: [gone] })).toMatchObject({ status: 404, message: expect.stringContaining(`case ${gone} not found`) });
  });

  it('documents the region parameters and the refine route in OpenAPI', async () => {
    const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as {
      paths: Record<string, Record<string, { parameters?: { name: string }[]; description?: string }>>;
    };
    expect((doc.paths['/api/v1/search']!.post!.parameters ?? []).map((p) => p.name)).toEqual(
      expect.arrayContaining(['regionX', 'regionY', 'regionWidth', 'regionHeight']),
    );
    expect(doc.paths['/api/v1/search/refine']!.post!.description).toContain('(1*q + 0.75*mean(liked) - 0.15*mean(disliked)) / (1 + 0.75 - 0.15)');
  });
});
