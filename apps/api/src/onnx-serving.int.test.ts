import { versionModelDir, openCbmirServices, type CbmirServices, loadConfig, seedDemoImages } from '@cbmir/core';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db/testing';
import { createEmbedder, ONNX_FILE_NAME, onnxRuntimeInstalled } from '@cbmir/embedder';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// The serving path for real: the seeded ResNet-50 exported to ONNX at first start, ONNX Runtime behind
// the batching model runtime, real database. onnxruntime-node is an optional dependency: where it is not
// installed, TF.js must serve instead.
const ort = onnxRuntimeInstalled();
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-onnx-serving-'));
const modelDir = mkdtempSync(join(tmpdir(), 'cbmir-onnx-model-'));
const silent = { info: () => {}, warn: () => {} };
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let services: CbmirServices;

beforeAll(async () => {
  target = await createTestDatabase();
  const config = loadConfig({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_EMBED_BATCH_WINDOW_MS: '10',
    CBMIR_DEFAULT_MODEL: 'untrained',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  services = await openCbmirServices(config, silent);
  await seedDemoImages(services.ingest, 8, silent);
});

afterAll(async () => {
  await services?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(modelDir, { recursive: true, force: true });
});

const queries = () => Promise.all(Array.from({ length: 6 }, (_, i) => generateSyntheticFundus({ seed: 4200 + i, grade: (i % 5) as FundusGrade })));

describe(`ONNX Runtime serving (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('serves the seeded default from its ONNX export, written at first start into the data directory', () => {
    const version = services.runtime.version!;
    expect(version).toMatchObject({ architecture: 'resnet50', trained: false, weightsPath: null });
    expect(existsSync(join(versionModelDir(dataDir, version), ONNX_FILE_NAME))).toBe(ort);
    if (ort) expect(services.runtime.backend).toBe('onnxruntime-cpu');
    else expect(services.runtime.backend).not.toMatch(/^onnxruntime/);
  });

  it('embeds concurrent searches together, each getting exactly the results it gets alone', async () => {
    const images = await queries();
    const alone: Awaited<ReturnType<CbmirServices['search']['searchByImage']>>[] = [];
    for (const bytes of images) alone.push(await services.search.searchByImage(bytes, 5));
    const before = services.runtime.batchStats()!;
    const together = await Promise.all(images.map((bytes) => services.search.searchByImage(bytes, 5)));
    const after = services.runtime.batchStats()!;

    expect(together.map((r) => r.results.map((hit) => hit.imageId))).toEqual(alone.map((r) => r.results.map((hit) => hit.imageId)));
    together.forEach((r, i) => r.results.forEach((hit, j) => expect(hit.distance).toBeCloseTo(alone[i]!.results[j]!.distance, 3)));
    // Six concurrent requests took fewer than six forward passes.
    expect(after.batches - before.batches).toBeLessThan(images.length);
    expect(after.largestBatch).toBeGreaterThan(1);
    expect(together[0]!.timings.embed).toBeGreaterThan(0);
  });

  it('exports a registered model at registration and serves it with ONNX Runtime', async () => {
    const tiny = await createEmbedder({ architecture: 'resnet-tiny', inputSize: 64, embeddingDim: 16, seed: 3 });
    await tiny.save(modelDir, { name: 'tiny-onnx', trained: true });
    tiny.dispose();
    const version = await services.models.register(modelDir);
    expect(existsSync(join(versionModelDir(dataDir, version), ONNX_FILE_NAME))).toBe(true);
    const loaded = await services.runtime.load(version);
    try {
      if (ort) expect(loaded.embedder.engine).toBe('onnxruntime-cpu');
      const [a, b] = await services.runtime.embedImages((await queries()).slice(0, 2), loaded);
      expect(a).toHaveLength(16);
      expect(b).toHaveLength(16);
    } finally {
      loaded.embedder.dispose();
    }
  });
});
