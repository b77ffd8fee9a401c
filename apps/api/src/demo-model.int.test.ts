import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';
import { DEMO_MODEL_NAME } from '@cbmir/core';

// A fresh start trains, registers and activates a small Siamese model on the synthetic demo images.
let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: '20',
    CBMIR_DEMO_TRAIN_SECONDS: '20',
  });
  key = await issueTestApiKey(server.url, 'clinician');
}, 600_000);

afterAll(async () => {
  await server?.close();
});

describe(`demo model (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('is trained on the demo images at first start, registered and active', async () => {
    const ready = await (await fetch(`${server.url}/readyz`)).json();
    expect(ready.model).toMatchObject({ name: DEMO_MODEL_NAME, trained: true, active: true, architecture: 'resnet-tiny', embeddingDim: 32 });
    const detail = await (await fetch(`${server.url}/api/v1/models/${ready.model.id}`, { headers: { authorization: `Bearer ${key}` } })).json();
    expect(detail.activation).toMatchObject({ state: 'active', embedded: 20, total: 20 });
    const history = detail.metrics.training.history as { meanLoss: number }[];
    expect(history.length).toBeGreaterThan(1);
    expect(Math.min(...history.slice(1).map((epoch) => epoch.meanLoss))).toBeLessThan(history[0]!.meanLoss);
    // held-out demo patients give it validation metrics beside those of its untrained start
    expect(detail.metrics.validation.map).toBeGreaterThan(0);
    expect(detail.metrics.untrainedValidation.map).toBeGreaterThan(0);
    expect(detail.metrics.bestEpoch).toBeGreaterThanOrEqual(1);
  });

  it('answers searches with the trained model', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed: 1004, grade: 4 }))]), 'q.jpg');
    const response = await fetch(`${server.url}/api/v1/search?k=5`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
    const body = await response.json();
    expect(body.model.name).toBe(DEMO_MODEL_NAME);
    expect(body.results[0].distance).toBeLessThan(1e-3);
    expect(body.results[0].grade).toBe(4);
  });
});
