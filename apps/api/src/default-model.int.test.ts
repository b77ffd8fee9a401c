import type { ErrorBody, ModelVersionList, SearchResponse } from '@cbmir/contract';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SHIPPED_MODEL_DIR } from '@cbmir/core';
import { issueTestApiKey, openTestServer, signIn, type TestServer } from './test-server.ts';

// A fresh start activates the model that ships in the repository (models/default/, trained with the
// PyTorch engine: ONNX weights only), serves it with ONNX Runtime and trains no synthetic demo model.
const shipped = JSON.parse(readFileSync(join(SHIPPED_MODEL_DIR, 'metadata.json'), 'utf8')) as {
  weightsFormat: string;
  spec: { architecture: string; inputSize: number; embeddingDim: number };
  info: { name: string };
};
let server: TestServer;
let key: string;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEFAULT_MODEL: undefined, // the shipped model, as on a user's first start
    CBMIR_DEMO_IMAGES: '12',
    CBMIR_DEMO_TRAIN_SECONDS: '600', // would be minutes if the demo model were trained
  });
  key = await issueTestApiKey(server.url, 'clinician');
}, 300_000);

afterAll(async () => {
  await server?.close();
});

describe(`the shipped default model (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('is an ONNX-only model directory with its name and spec', () => {
    expect(shipped.weightsFormat).toBe('onnx');
    expect(shipped.info.name).toMatch(/\S/);
  });

  it('is active, trained and served by ONNX Runtime after the first start, with no demo model trained', async () => {
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as Record<string, unknown>;
    expect(JSON.stringify(ready)).toContain(shipped.info.name);
    expect(JSON.stringify(ready)).toMatch(/onnxruntime/);
    const models = (await (await fetch(`${server.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as ModelVersionList;
    expect(models.models.map((m) => m.model.name)).toEqual([shipped.info.name]);
    expect(models.models[0]!.model).toMatchObject({
      active: true,
      trained: true,
      architecture: shipped.spec.architecture,
      embeddingDim: shipped.spec.embeddingDim,
    });
  });

  it('searches the seeded images with it', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed: 77, grade: 2 }))], { type: 'image/jpeg' }), 'query.jpg');
    const response = await fetch(`${server.url}/api/v1/search?k=5`, { method: 'POST', body: form, headers: { authorization: `Bearer ${key}` } });
    expect(response.status).toBe(200);
    const body = (await response.json()) as SearchResponse;
    expect(body.model.name).toBe(shipped.info.name);
    expect(body.results).toHaveLength(5);
    const distances = body.results.map((r) => r.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
  });

  it('refuses to register an ONNX-only model that ONNX Runtime cannot serve, and registers nothing', async () => {
    const broken = mkdtempSync(join(tmpdir(), 'cbmir-broken-model-'));
    try {
      copyFileSync(join(SHIPPED_MODEL_DIR, 'metadata.json'), join(broken, 'metadata.json'));
      writeFileSync(join(broken, 'model.onnx'), 'truncated');
      const { cookie, csrfToken } = await signIn(server.url);
      const response = await fetch(`${server.url}/api/v1/models`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', cookie, 'x-csrf-token': csrfToken },
        body: JSON.stringify({ path: broken, name: 'broken-onnx-model' }),
      });
      expect(response.status).toBe(400);
      expect(((await response.json()) as ErrorBody).error).toBe('invalid_model');
      const models = (await (await fetch(`${server.url}/api/v1/models`, { headers: { authorization: `Bearer ${key}` } })).json()) as ModelVersionList;
      expect(models.models.map((m) => m.model.name)).not.toContain('broken-onnx-model');
    } finally {
      rmSync(broken, { recursive: true, force: true });
    }
  });
});
