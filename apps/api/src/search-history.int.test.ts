import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, type CbmirClient, type SearchHistoryPage } from '@cbmir/contract';
import { contentHash, generateSyntheticFundus } from '@cbmir/imaging';
import { buildTestDicom } from '@cbmir/imaging/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, signIn, type TestServer, type TestSession } from './test-server.ts';

// "My searches": each caller's own searches, with the query photograph kept so it can be shown and run again;
// another user or API key never sees them (an empty list, 404 for an entry). Real server and database.
const DEMO_IMAGES = 10;
let server: TestServer;
let alice: TestSession;
let bob: TestSession;
let keyClient: CbmirClient;
let query: Buffer;

async function createClinician(username: string): Promise<TestSession> {
  const admin = await signIn(server.url);
  const response = await fetch(`${server.url}/api/v1/users`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', cookie: admin.cookie, 'x-csrf-token': admin.csrfToken },
    body: JSON.stringify({ username, password: `${username}-password-1`, role: 'clinician' }),
  });
  expect(response.status).toBe(201);
  return signIn(server.url, username, `${username}-password-1`);
}

/** A client acting as a signed-in user (cookie and CSRF header on every request). */
function clientOf(session: TestSession): CbmirClient {
  return createClient({
    baseUrl: server.url,
    fetch: (input, init = {}) => {
      const headers = new Headers(init.headers);
      headers.set('cookie', session.cookie);
      headers.set('x-csrf-token', session.csrfToken);
      return fetch(input, { ...init, headers });
    },
  });
}

async function get(session: TestSession | string, path: string) {
  const headers: Record<string, string> = typeof session === 'string' ? { authorization: `Bearer ${session}` } : { cookie: session.cookie };
  return fetch(`${server.url}${path}`, { headers });
}

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
  });
  alice = await createClinician('alice');
  bob = await createClinician('bob');
  keyClient = createClient({ baseUrl: server.url, apiKey: await issueTestApiKey(server.url, 'clinician') });
  query = await generateSyntheticFundus({ seed: 11, grade: 1, width: 600, height: 400 });
});

afterAll(async () => {
  await server?.close();
});

describe(`my searches (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let page: SearchHistoryPage;
  const region = { x: 0.1, y: 0.2, width: 0.6, height: 0.7 };

  it('lists the caller’s image and case searches, newest first, with time, k, filters, region and the top result', async () => {
    const client = clientOf(alice);
    const before = Date.now();
    const byImage = await client.searchByImage(new Blob([new Uint8Array(query)]), { k: 5, filters: { eye: 'left' }, region });
    const caseId = byImage.results[1]!.imageId;
    const byCase = await client.similar(caseId, 3, { grade: '0-2' });
    page = await client.mySearches();
    expect(page).toMatchObject({ total: 2, limit: 20, offset: 0 });
    const [latest, first] = page.searches;
    expect(latest).toMatchObject({
      id: byCase.historyId,
      kind: 'case',
      k: 3,
      filters: { grade: '0-2' },
      region: null,
      results: byCase.results.length,
      queryImageId: caseId,
      queryThumbnailUrl: `/api/v1/images/${caseId}/thumbnail`,
      queryUrl: null,
      top: { imageId: byCase.results[0]!.imageId, distance: byCase.results[0]!.distance, grade: byCase.results[0]!.grade },
    });
    expect(first).toMatchObject({
      id: byImage.historyId,
      kind: 'image',
      k: 5,
      filters: { eye: 'left' },
      region,
      results: 5,
      queryImageId: null,
      top: { imageId: byImage.results[0]!.imageId, distance: byImage.results[0]!.distance, thumbnailUrl: byImage.results[0]!.thumbnailUrl },
    });
    expect(Date.parse(first!.createdAt)).toBeGreaterThanOrEqual(before - 1000);
    expect(Date.parse(first!.createdAt)).toBeLessThanOrEqual(Date.parse(latest!.createdAt));
  });

  it('pages through them', async () => {
    const second = await clientOf(alice).mySearches({ limit: 1, offset: 1 });
    expect(second).toMatchObject({ total: 2, limit: 1, offset: 1 });
    expect(second.searches.map((entry) => entry.id)).toEqual([page.searches[1]!.id]);
    expect((await get(alice, '/api/v1/searches?limit=0')).status).toBe(400);
  });

  it('keeps the query photograph: its thumbnail, and the photograph itself, which searches the same again', async () => {
    const entry = page.searches[1]!;
    const photo = await get(alice, entry.queryUrl!);
    expect(photo.status).toBe(200);
    const bytes = new Uint8Array(await photo.arrayBuffer());
    expect(contentHash(bytes)).toBe(contentHash(query));
    // The search did not wait for a thumbnail: it is made at the first request for it, then kept.
    const sha256 = contentHash(query);
    const kept = join(server.dataDir, 'queries', 'thumbnails', sha256.slice(0, 2), `${sha256}.jpg`);
    expect(existsSync(kept)).toBe(false);
    const thumbnail = await get(alice, entry.queryThumbnailUrl);
    expect([thumbnail.status, thumbnail.headers.get('content-type')]).toEqual([200, 'image/jpeg']);
    const made = new Uint8Array(await thumbnail.arrayBuffer());
    expect(existsSync(kept)).toBe(true);
    expect(new Uint8Array(await (await get(alice, entry.queryThumbnailUrl)).arrayBuffer())).toEqual(made);

    const client = clientOf(alice);
    const original = await client.searchByImage(new Blob([new Uint8Array(query)]), { k: 5, filters: { eye: 'left' }, region });
    const again = await client.searchByImage(new Blob([bytes]), { k: entry.k, filters: entry.filters, region: entry.region });
    expect(again.results).toEqual(original.results);
  });

  it('is visible to its owner only: another user and an API key get an empty list and 404s', async () => {
    const entry = page.searches[1]!;
    expect(await clientOf(bob).mySearches()).toMatchObject({ searches: [], total: 0 });
    expect(await keyClient.mySearches()).toMatchObject({ searches: [], total: 0 });
    for (const path of [entry.queryUrl!, entry.queryThumbnailUrl]) {
      const response = await get(bob, path);
      expect(response.status).toBe(404);
      expect(await response.json()).toMatchObject({ error: 'not_found', message: 'search not found' });
    }
    // The key's own search is its own.
    const mine = await keyClient.searchByImage(new Blob([new Uint8Array(query)]), { k: 2 });
    expect((await keyClient.mySearches()).searches.map((e) => e.id)).toEqual([mine.historyId]);
    expect((await clientOf(alice).mySearches()).searches.map((e) => e.id)).not.toContain(mine.historyId);
    // A case search has no photograph to return.
    const caseEntry = page.searches[0]!;
    expect((await get(alice, `/api/v1/searches/${caseEntry.id}/query`)).status).toBe(404);
  });

  it('keeps a DICOM query as its image, never the file with its patient header', async () => {
    const dicom = await buildTestDicom(query, { patientName: 'DOE^JANE', patientId: 'MRN-HISTORY' });
    const client = clientOf(bob);
    const body = await client.searchByImage(new Blob([new Uint8Array(dicom)]), { k: 2 });
    const [entry] = (await client.mySearches()).searches;
    expect(entry!.id).toBe(body.historyId);
    const stored = Buffer.from(await (await get(bob, entry!.queryUrl!)).arrayBuffer());
    expect(stored.includes(Buffer.from('DOE^JANE'))).toBe(false);
    expect(stored.includes(Buffer.from('MRN-HISTORY'))).toBe(false);
    expect([stored[0], stored[1]]).toEqual([0xff, 0xd8]); // the JPEG taken out of the file
  });

  it('says so when a kept photograph is gone (404, not a server error)', async () => {
    const entry = (await clientOf(bob).mySearches()).searches[0]!;
    const sha256 = contentHash(new Uint8Array(await (await get(bob, entry.queryUrl!)).arrayBuffer()));
    rmSync(join(server.dataDir, 'queries', 'originals', sha256.slice(0, 2), `${sha256}.jpeg`));
    const response = await get(bob, entry.queryUrl!);
    expect(response.status).toBe(404);
    expect(await response.json()).toMatchObject({ message: 'the photograph of this search is no longer stored' });
  });
});
