import { createClient, type CbmirClient, type ErrorBody, type SearchResponse } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { knnVote } from '@cbmir/retrieval';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// Filters over REST and the typed client, against the real server and database. The demo seed gives 10
// cases: grades cycle 0-4, eyes alternate left/right, two eyes per patient (demo-patient-0 .. 4), source demo.
const DEMO_IMAGES = 10;
let server: TestServer;
let apiKey: string;
let client: CbmirClient;
let query: Uint8Array;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
  });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  client = createClient({ baseUrl: server.url, apiKey });
  query = await generateSyntheticFundus({ seed: 5, grade: 3 });
});

afterAll(async () => {
  await server?.close();
});

const search = (filters: Record<string, string>, k = 10) => client.searchByImage(new Blob([new Uint8Array(query)]), { k, filters });

async function refused(path: string, init: RequestInit = {}) {
  const response = await fetch(`${server.url}${path}`, {
    ...init,
    headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${apiKey}` },
  });
  const body = (await response.json()) as ErrorBody;
  return { status: response.status, ...body };
}

async function images() {
  return Promise.all((await client.images({ limit: 50 })).images.map((image) => client.image(image.id)));
}

describe(`search filters (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('keeps only the grades, eye and source asked for, and says how many cases pass', async () => {
    const body = await search({ grade: '2-4', eye: 'right', source: 'demo' });
    // Right eyes are the odd demo images: grades 1, 3, 0, 2, 4 -> 3 of them are grade 2-4.
    expect(body).toMatchObject({ matching: 3, matchingCapped: false });
    expect(body.results).toHaveLength(3);
    expect(body.results.every((hit) => hit.eye === 'right' && hit.grade! >= 2)).toBe(true);
    expect(body.shortfall).toMatchObject({ code: 'fewer_match' });
    const all = await search({}, 5);
    expect(all).toMatchObject({ matching: null, matchingCapped: false, shortfall: null });
    expect(all.results).toHaveLength(5);
  });

  it('combines grade sets with unknown, and leaves a patient out', async () => {
    const body = await search({ grade: '0,unknown', excludePatient: 'demo-patient-0' });
    const stored = await images();
    const expected = stored.filter((image) => (image.grade === 0 || image.grade === null) && image.patientRef !== 'demo-patient-0');
    expect(body.matching).toBe(expected.length);
    expect(body.results.map((hit) => hit.imageId).sort()).toEqual(expected.map((image) => image.id).sort());
  });

  it('filters by ingest date: today keeps every case, a past day none (an empty result with its reason)', async () => {
    const today = new Date().toISOString().slice(0, 10);
    expect((await search({ ingestedFrom: today, ingestedTo: today })).results).toHaveLength(DEMO_IMAGES);
    const none = await search({ ingestedTo: '2020-01-01' });
    expect(none).toMatchObject({ results: [], matching: 0, shortfall: { code: 'no_match' } });
    expect(none.shortfall!.message).toMatch(/no indexed case passes these filters/i);
  });

  it('refuses contradictory and unknown filters with 400 invalid_filter and a clear message', async () => {
    const form = () => {
      const body = new FormData();
      body.append('image', new Blob([new Uint8Array(query)]), 'q.jpg');
      return { method: 'POST', body };
    };
    expect(await refused('/api/v1/search?grade=4-2', form())).toMatchObject({
      status: 400,
      error: 'invalid_filter',
      message: expect.stringMatching(/backwards/),
    });
    expect(await refused('/api/v1/search?grade=7', form())).toMatchObject({ status: 400, error: 'invalid_filter', message: expect.stringMatching(/0-4/) });
    expect(await refused('/api/v1/search?eye=up', form())).toMatchObject({ status: 400, message: expect.stringMatching(/left, right or unknown/) });
    expect(await refused('/api/v1/search?ingestedFrom=2026-05-02&ingestedTo=2026-05-01', form())).toMatchObject({
      status: 400,
      message: expect.stringMatching(/after ingestedTo/),
    });
    expect(await refused('/api/v1/search?ingestedFrom=yesterday', form())).toMatchObject({ status: 400, message: expect.stringMatching(/not a date/) });
    // A misspelt filter is refused, not silently ignored.
    expect((await refused('/api/v1/search?grde=2', form())).status).toBe(400);
  });

  it('filters vector search and a case’s similar cases, which can leave out its own patient', async () => {
    const [first] = await images().then((all) => all.filter((image) => image.patientRef === 'demo-patient-1'));
    const { vector } = await client.embedding(first!.id);
    const byVector = await client.searchByVector(vector, 10, { eye: 'left' });
    expect(byVector.results.length).toBe(DEMO_IMAGES / 2);
    expect(byVector.results.every((hit) => hit.eye === 'left')).toBe(true);
    expect(
      (
        await refused('/api/v1/search/vector', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ vector, filters: { grade: 'x' } }),
        })
      ).error,
    ).toBe('invalid_filter');

    const similar: SearchResponse = await client.similar(first!.id, 20, { excludeSamePatient: true });
    const stored = await images();
    const patientOf = new Map(stored.map((image) => [image.id, image.patientRef]));
    expect(similar.results).toHaveLength(DEMO_IMAGES - 2);
    expect(similar.results.some((hit) => patientOf.get(hit.imageId) === 'demo-patient-1')).toBe(false);
    const withEye = await client.similar(first!.id, 20, { eye: 'right' });
    expect(withEye.results.every((hit) => hit.eye === 'right' && hit.imageId !== first!.id)).toBe(true);
  });

  it('carries the distance-weighted grade vote of the nearest graded cases: the vote the evaluation measures', async () => {
    const body = await search({}, 20);
    const voters = body.results.filter((hit) => hit.grade !== null).slice(0, 10);
    const suggestion = body.suggestion!;
    expect(suggestion.grade).toBe(
      knnVote(
        voters.map((hit) => hit.grade!),
        voters.map((hit) => hit.distance),
      ),
    );
    expect(suggestion.voters).toBe(10);
    expect(suggestion.ungraded).toBe(0);
    expect(suggestion.spread.reduce((sum, vote) => sum + vote.share, 0)).toBeCloseTo(1, 9);
    expect(suggestion.spread.reduce((sum, vote) => sum + vote.neighbours, 0)).toBe(10);
    expect(suggestion.spread[0]!).toMatchObject({ grade: suggestion.grade, share: suggestion.share });
    const expectedShare =
      voters.filter((hit) => hit.grade === suggestion.grade).reduce((sum, hit) => sum + 1 / hit.distance, 0) /
      voters.reduce((sum, hit) => sum + 1 / hit.distance, 0);
    expect(suggestion.share).toBeCloseTo(expectedShare, 9);
    // Nothing graded among the results (here: nothing at all), nothing suggested.
    expect((await search({ grade: 'unknown' })).suggestion).toBeNull();
  });

  it('gives a case its patient’s other eye and its provenance', async () => {
    const stored = await images();
    const right = stored.find((image) => image.patientRef === 'demo-patient-2' && image.eye === 'right')!;
    const left = stored.find((image) => image.patientRef === 'demo-patient-2' && image.eye === 'left')!;
    expect((await client.samePatient(right.id)).images.map((image) => [image.id, image.eye])).toEqual([[left.id, 'left']]);
    // Seeded, not ingested by a job.
    expect(right.provenance).toMatchObject({ jobId: null, ingestedAt: right.createdAt });
  });

  it('documents the filters in OpenAPI', async () => {
    const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as { paths: Record<string, Record<string, { parameters?: { name: string }[] }>> };
    const names = (doc.paths['/api/v1/search']!.post!.parameters ?? []).map((p) => p.name);
    expect(names).toEqual(expect.arrayContaining(['k', 'grade', 'eye', 'source', 'ingestedFrom', 'ingestedTo', 'excludePatient']));
    const similar = (doc.paths['/api/v1/images/{id}/similar']!.get!.parameters ?? []).map((p) => p.name);
    expect(similar).toContain('excludeSamePatient');
  });
});
