import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type RunningWorker, startWorker } from './worker-process.ts';

// A worker process has no HTTP API: CBMIR_METRICS_PORT is how it shows its jobs and embedding.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-worker-metrics-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let worker: RunningWorker;

beforeAll(async () => {
  target = await createTestDatabase();
  worker = await startWorker({
    DATABASE_URL: target.databaseUrl,
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEFAULT_MODEL: 'untrained',
    CBMIR_METRICS_PORT: '0',
    LOG_LEVEL: 'warn',
  });
});

afterAll(async () => {
  await worker?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('a worker (CBMIR_ROLE=worker) with CBMIR_METRICS_PORT', () => {
  it('serves its metrics there: the job queue, images per version and the engine it embeds with', async () => {
    expect(worker.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${worker.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(text).toMatch(/^cbmir_jobs\{status="queued"\} 0$/m);
    expect(text).toMatch(/^cbmir_images_embedded\{version_id="[0-9a-f-]{36}",version="resnet50-untrained-seed42",active="true"\} 0$/m);
    expect(text).toMatch(/^cbmir_inference_engine_info\{engine="[\w-]+",version="resnet50-untrained-seed42"\} 1$/m);
    expect(text).toContain('# TYPE cbmir_job_items_total counter');
    expect((await fetch(`${worker.metricsUrl}/api/v1/images`)).status).toBe(404);
  });
});
