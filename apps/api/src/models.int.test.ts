import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CbmirClient, createClient } from '@cbmir/contract';
import { createTestDatabase } from '@cbmir/db/testing';
import { createEmbedder } from '@cbmir/embedder';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { issueTestApiKey, startTestServer } from './test-server.ts';

// Registering and activating a model version against the real server: re-indexing in the background,
// the old version serving meanwhile, an atomic switch, and a resumed activation after a restart.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-models-'));
const modelDir = mkdtempSync(join(tmpdir(), 'cbmir-model-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let key: string;
/** The typed client for reads; `call` where a test asserts the status of a request. */
let client: CbmirClient;

const env = () => ({
  CBMIR_DATA_DIR: dataDir,
  CBMIR_DEMO_IMAGES: '6',
  CBMIR_DEMO_TRAIN_SECONDS: '0',
  ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
});

async function call(method: string, path: string, json?: unknown) {
  return fetch(`${server.url}${path}`, {
    method,
    headers: { authorization: `Bearer ${key}`, ...(json !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(json !== undefined ? { body: JSON.stringify(json) } : {}),
  });
}

async function waitForState(id: string, state: string) {
  for (let i = 0; i < 600; i++) {
    const detail = await client.model(id);
    if (detail.activation.state === state) return detail;
    if (detail.activation.state === 'failed') throw new Error(detail.activation.error ?? 'activation failed');
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`model ${id} never reached ${state}`);
}

beforeAll(async () => {
  target = await createTestDatabase();
  const tiny = await createEmbedder({ architecture: 'resnet-tiny', inputSize: 64, embeddingDim: 16, seed: 7 });
  await tiny.save(modelDir, { name: 'tiny-test', trained: true, metrics: { validation: { map: 0.5 } } });
  tiny.dispose();
  server = await startTestServer(env());
  key = await issueTestApiKey(server.url, 'admin');
  client = createClient({ baseUrl: server.url, apiKey: key });
});

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

describe(`model versions (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let tinyId: string;

  it('registers a saved model directory as an inactive version', async () => {
    const response = await call('POST', '/api/v1/models', { path: modelDir });
    expect(response.status).toBe(201);
    const detail = await response.json();
    expect(detail.model).toMatchObject({ name: 'tiny-test', architecture: 'resnet-tiny', embeddingDim: 16, inputSize: 64, trained: true, active: false });
    expect(detail.metrics).toEqual({ validation: { map: 0.5 } });
    expect(detail.activation).toMatchObject({ state: 'inactive', embedded: 0, total: 6 });
    tinyId = detail.model.id;
    expect((await call('POST', '/api/v1/models', { path: modelDir })).status).toBe(409);
    expect((await call('POST', '/api/v1/models', { path: join(modelDir, 'missing') })).status).toBe(400);
    const list = await client.models();
    expect(list.models.map((m) => m.model.name)).toEqual(['tiny-test', 'resnet50-untrained-seed42']);
  });

  it('activates in the background and switches search atomically when every image is embedded', async () => {
    const response = await call('POST', `/api/v1/models/${tinyId}/activate`);
    expect(response.status).toBe(202);
    expect(['indexing', 'active']).toContain((await response.json()).activation.state);
    // Until the switch, search answers from one complete version: never a half-built index.
    const during = await (await call('POST', '/api/v1/search/vector', { vector: Array(128).fill(0), k: 20 })).json();
    if (during.model) expect(during.results.length === 6 || during.model.embeddingDim === 16).toBe(true);

    const detail = await waitForState(tinyId, 'active');
    expect(detail.activation).toMatchObject({ embedded: 6, total: 6 });
    const ready = await client.readiness();
    expect(ready.model).toMatchObject({ name: 'tiny-test', embeddingDim: 16 });

    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed: 1002, grade: 2 }))]), 'q.jpg');
    const search = await (await fetch(`${server.url}/api/v1/search?k=6`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } })).json();
    expect(search.model.name).toBe('tiny-test');
    expect(search.results).toHaveLength(6);
    expect(search.results[0].distance).toBeLessThan(1e-3);
    expect((await call('POST', '/api/v1/search/vector', { vector: Array(128).fill(0) })).status).toBe(400);
    expect((await call('POST', '/api/v1/search/vector', { vector: Array(16).fill(0) })).status).toBe(200);

    const audit = await client.audit({ action: 'model.activate' });
    expect(audit.events[0]).toMatchObject({ targetId: tinyId });
  });

  it('resumes an unfinished activation after a restart', async () => {
    const untrained = (await client.models()).models.find((m) => m.model.name === 'resnet50-untrained-seed42')!;
    expect((await call('POST', `/api/v1/models/${untrained.model.id}/activate`)).status).toBe(202);
    await server.close(); // stops the indexing after its current batch; the request stays recorded
    server = await startTestServer(env());
    client = createClient({ baseUrl: server.url, apiKey: key });
    const detail = await waitForState(untrained.model.id, 'active');
    expect(detail.activation).toMatchObject({ embedded: 6, total: 6 });
    expect((await client.readiness()).model?.name).toBe('resnet50-untrained-seed42');
  });

  it('refuses unknown versions', async () => {
    expect((await call('POST', '/api/v1/models/00000000-0000-4000-8000-000000000000/activate')).status).toBe(404);
    expect((await call('GET', '/api/v1/models/00000000-0000-4000-8000-000000000000')).status).toBe(404);
  });
});
