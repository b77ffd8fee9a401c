import { createHash, randomUUID } from 'node:crypto';
import { ApiError, createClient, type CbmirClient, type Explanation } from '@cbmir/contract';
import { DEFAULT_PREPROCESSING, preprocessFundus } from '@cbmir/imaging';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// Similarity explanations (occlusion maps) and the network's view, against the real server, database and
// serving engine (ONNX Runtime, the seeded untrained ResNet-50 at 224 px).
let server: TestServer;
let apiKey: string;
let client: CbmirClient;
let query: Buffer;

/** The cell of the 7 x 7 grid over the network input that holds the crafted query's only detail. */
const PATTERN_CELL = { row: 1, col: 4 };

/**
 * A fundus photograph with nothing in it but one chequered patch: a flat orange disc (radius 300 on black,
 * so preprocessing keeps the central 540 px square and maps it to 224 px) whose only local contrast lies in
 * PATTERN_CELL. Every other cell of the network input is the flat background the occlusion fills with.
 */
async function onePatchFundus(): Promise<Buffer> {
  const side = 640;
  const radius = 300;
  const centre = side / 2;
  const pixels = Buffer.alloc(side * side * 3);
  const keptLeft = centre - 0.9 * radius;
  const cellSide = (2 * 0.9 * radius) / 7;
  const x0 = keptLeft + PATTERN_CELL.col * cellSide + 12;
  const y0 = keptLeft + PATTERN_CELL.row * cellSide + 12;
  for (let y = 0; y < side; y++) {
    for (let x = 0; x < side; x++) {
      const i = (y * side + x) * 3;
      if ((x + 0.5 - centre) ** 2 + (y + 0.5 - centre) ** 2 > radius ** 2) continue;
      const inPatch = x >= x0 && x < x0 + cellSide - 24 && y >= y0 && y < y0 + cellSide - 24;
      const light = inPatch ? (Math.floor(x / 6) + Math.floor(y / 6)) % 2 === 0 : null;
      pixels.set(light === null ? [190, 90, 40] : light ? [255, 230, 200] : [20, 10, 5], i);
    }
  }
  return sharp(pixels, { raw: { width: side, height: side, channels: 3 } })
    .png()
    .toBuffer();
}

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: '3',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
  });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  client = createClient({ baseUrl: server.url, apiKey });
  query = await onePatchFundus();
});

afterAll(async () => {
  await server?.close();
});

const blob = (bytes: Uint8Array) => new Blob([new Uint8Array(bytes)]);

function post(path: string, body: FormData | string, headers: Record<string, string> = {}) {
  return fetch(`${server.url}${path}`, { method: 'POST', body, headers: { authorization: `Bearer ${apiKey}`, ...headers } });
}

function imageForm(bytes: Uint8Array, name = 'query.png'): FormData {
  const form = new FormData();
  form.append('image', blob(bytes), name);
  return form;
}

function expectWellFormed(map: Explanation) {
  expect(map.grid).toMatchObject({ rows: 7, cols: 7, inputSize: 224 });
  expect(map.deltas).toHaveLength(7);
  for (const row of map.deltas) expect(row).toHaveLength(7);
  expect(map.deltas.flat().every(Number.isFinite)).toBe(true);
  expect(Number.isFinite(map.baseDistance) && map.baseDistance > 0).toBe(true);
  expect(map.forwardPasses).toBe(50);
}

describe(`similarity explanations (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('maps the uploaded query against a result: 7 x 7 finite changes of distance, largest where the query has its detail', async () => {
    const search = await client.searchByImage(blob(query), { k: 3 });
    const result = search.results[0]!;
    const map = await client.explainUpload(blob(query), result.imageId);
    expectWellFormed(map);
    expect(map).toMatchObject({ cached: false, occluded: { side: 'query', imageId: null }, reference: { side: 'case', imageId: result.imageId } });
    // Unoccluded, it is the search's own distance (the same engine, preprocessing and stored embedding).
    expect(map.baseDistance).toBeCloseTo(result.distance, 2);
    const magnitudes = map.deltas.map((row) => row.map(Math.abs));
    const largest = Math.max(...magnitudes.flat());
    expect(largest).toBeGreaterThan(0);
    expect(magnitudes[PATTERN_CELL.row]![PATTERN_CELL.col]).toBe(largest);
    // Cells that were already background are unchanged by filling them with background.
    for (const [row, col] of [
      [0, 0],
      [3, 3],
      [6, 6],
      [5, 1],
    ] as const)
      expect(magnitudes[row]![col]!).toBeLessThan(largest / 100);
    // The kept square of the original, as fractions: 540 of 640 px, centred.
    expect(map.region.width).toBeCloseTo(540 / 640, 2);
    expect(map.region.left).toBeCloseTo(50 / 640, 2);
  });

  it('serves the second request for the same pair from the cache, and says so', async () => {
    const caseId = (await client.images({ limit: 1 })).images[0]!.id;
    const first = await client.explainUpload(blob(query), caseId);
    const response = await post(`/api/v1/explanations?case=${caseId}`, imageForm(query));
    expect(response.status).toBe(200);
    expect(response.headers.get('x-cbmir-cache')).toBe('hit');
    const second = (await response.json()) as Explanation;
    expect(second.cached).toBe(true);
    expect(second.deltas).toEqual(first.deltas);
    expect(second.computeMs).toBe(first.computeMs);
  });

  it('occludes the case against the query, and one stored case against another', async () => {
    const [a, b] = (await client.images({ limit: 2 })).images;
    const caseSide = await client.explainUpload(blob(query), a!.id, { occlude: 'case' });
    expectWellFormed(caseSide);
    expect(caseSide).toMatchObject({ occluded: { side: 'case', imageId: a!.id }, reference: { side: 'query', imageId: null } });
    const querySide = await client.explainUpload(blob(query), a!.id);
    // The same pair, measured from either side: the same unoccluded distance.
    expect(caseSide.baseDistance).toBeCloseTo(querySide.baseDistance, 3);

    const stored = await client.explainStored(a!.id, b!.id);
    expectWellFormed(stored);
    expect(stored).toMatchObject({ cached: false, occluded: { imageId: a!.id }, reference: { imageId: b!.id } });
    expect((await client.explainStored(a!.id, b!.id)).cached).toBe(true);
  });

  it('refuses a case that does not exist (404 with what to do), a file that is not an image, and a malformed id', async () => {
    const missing = randomUUID();
    const refused = await client.explainUpload(blob(query), missing).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(ApiError);
    expect(refused).toMatchObject({ status: 404, code: 'case_not_found' });
    expect((refused as ApiError).message).toMatch(new RegExp(`case ${missing} does not exist.*search again`));
    const caseId = (await client.images({ limit: 1 })).images[0]!.id;
    await expect(client.explainStored(caseId, missing)).rejects.toMatchObject({ status: 404, code: 'case_not_found' });
    await expect(client.explainStored(missing, caseId)).rejects.toMatchObject({ status: 404, code: 'case_not_found' });

    const text = await post(`/api/v1/explanations?case=${caseId}`, imageForm(new TextEncoder().encode('not a photograph at all'), 'notes.txt'));
    expect(text.status).toBe(415);
    expect(await text.json()).toMatchObject({ error: 'unsupported_type' });
    const notMultipart = await post(`/api/v1/explanations?case=${caseId}`, '{}', { 'content-type': 'application/json' });
    expect(notMultipart.status).toBe(415);
    const badId = await post('/api/v1/explanations?case=42', imageForm(query));
    expect(badId.status).toBe(400);
  });

  it("shows the network's view of a stored case and of an upload, as the 224 px PNG it embeds", async () => {
    const caseId = (await client.images({ limit: 1 })).images[0]!.id;
    const stored = await fetch(client.preprocessedUrl(caseId), { headers: { authorization: `Bearer ${apiKey}` } });
    expect(stored.status).toBe(200);
    expect(stored.headers.get('content-type')).toBe('image/png');
    expect(await sharp(Buffer.from(await stored.arrayBuffer())).metadata()).toMatchObject({ width: 224, height: 224, format: 'png' });

    const png = new Uint8Array(await (await client.preprocess(blob(query), 'query.png')).arrayBuffer());
    const { data } = await sharp(png).raw().toBuffer({ resolveWithObject: true });
    const expected = await preprocessFundus(query, DEFAULT_PREPROCESSING);
    const centre = ((1 * 32 + 16) * 224 + 4 * 32 + 16) * 3;
    expect(data[centre]).toBe(Math.round((expected.data[centre]! + 1) * 127.5));
    await expect(client.preprocess(blob(new TextEncoder().encode('nope')))).rejects.toMatchObject({ status: 415 });
    const missing = await fetch(client.preprocessedUrl(randomUUID()), { headers: { authorization: `Bearer ${apiKey}` } });
    expect(missing.status).toBe(404);
  });

  it("audits explanations and refused uploads by the query's hash, never its content", async () => {
    const admin = createClient({ baseUrl: server.url, apiKey: await issueTestApiKey(server.url, 'admin') });
    const { events } = await admin.audit({ action: 'search.explanation', limit: 100 });
    const sha = createHash('sha256').update(query).digest('hex');
    expect(events.some((event) => event.details.queryImageSha256 === sha && event.details.occlude === 'query')).toBe(true);
    expect(events.some((event) => typeof event.details.against === 'string')).toBe(true);
    const refused = await admin.audit({ action: 'upload.refused', limit: 100 });
    expect(refused.events.some((event) => event.details.route === 'POST /api/v1/explanations' && event.details.status === 415)).toBe(true);
    expect((await admin.audit({ action: 'search.preprocess' })).events[0]?.details).toEqual({ queryImageSha256: sha });
  });

  it('documents the routes in OpenAPI, for clinicians', async () => {
    const doc = (await (await fetch(`${server.url}/api/docs/json`)).json()) as { paths: Record<string, Record<string, { 'x-cbmir-role'?: string }>> };
    expect(doc.paths['/api/v1/explanations']?.post?.['x-cbmir-role']).toBe('clinician');
    expect(doc.paths['/api/v1/images/{id}/explanation']?.get?.['x-cbmir-role']).toBe('clinician');
    expect(doc.paths['/api/v1/images/{id}/preprocessed']?.get).toBeDefined();
    expect(doc.paths['/api/v1/preprocess']?.post).toBeDefined();
  });
});
