import type { ErrorBody, Job, Readiness, SearchResponse } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '@cbmir/core';
import { issueTestApiKey, openTestServer, signIn, type TestServer } from '../test-server.ts';

// The real server (real database, real embedder, real HTTP), with the unauthenticated metrics port on too.
const DEMO_IMAGES = 4;
let server: TestServer;
let adminKey: string;
let clinicianKey: string;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_METRICS_PORT: '0',
  });
  adminKey = await issueTestApiKey(server.url, 'admin');
  clinicianKey = await issueTestApiKey(server.url, 'clinician');
});

afterAll(async () => {
  await server?.close();
});

const as = (key: string) => ({ headers: { authorization: `Bearer ${key}` } });

async function scrape(): Promise<string> {
  const response = await fetch(`${server.url}/metrics`, as(adminKey));
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
  return response.text();
}

/** The value of one sample, matched by name and (all of) its labels; null when there is no such line. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!match || match[1] !== name) continue;
    const found = Object.fromEntries([...(match[2] ?? '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map((m) => [m[1], m[2]]));
    if (Object.entries(labels).every(([k, v]) => found[k] === v)) return Number(match[3]);
  }
  return null;
}

describe(`GET /metrics (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('is for the admin role only: 401 without credentials, 403 for a clinician, 200 for an admin key or session', async () => {
    const anonymous = await fetch(`${server.url}/metrics`);
    expect(anonymous.status).toBe(401);
    expect(((await anonymous.json()) as ErrorBody).error).toBe('unauthenticated');
    const clinician = await fetch(`${server.url}/metrics`, as(clinicianKey));
    expect(clinician.status).toBe(403);
    expect(((await clinician.json()) as ErrorBody).error).toBe('forbidden');
    const { cookie } = await signIn(server.url);
    const session = await fetch(`${server.url}/metrics`, { headers: { cookie } });
    expect(session.status).toBe(200);
    expect(await session.text()).toContain('# TYPE cbmir_http_request_duration_seconds histogram');
  });

  it('after a search: the route histogram by pattern and status, the embed histograms, images per version and the engine', async () => {
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed: 5, grade: 1 }))]), 'query.jpg');
    const search = await fetch(`${server.url}/api/v1/search?k=3`, { method: 'POST', body: form, ...as(clinicianKey) });
    expect(search.status).toBe(200);
    const { results } = (await search.json()) as SearchResponse;
    // Two image routes with different ids: one series, labelled with the pattern.
    for (const r of results.slice(0, 2)) expect((await fetch(`${server.url}/api/v1/images/${r.imageId}`, as(clinicianKey))).status).toBe(200);
    expect((await fetch(`${server.url}/api/v1/no-such-thing`, as(clinicianKey))).status).toBe(404);

    const text = await scrape();
    expect(sample(text, 'cbmir_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/search', status: '200' })).toBe(1);
    expect(sample(text, 'cbmir_http_request_duration_seconds_bucket', { route: '/api/v1/search', status: '200', le: '+Inf' })).toBe(1);
    expect(sample(text, 'cbmir_http_request_duration_seconds_count', { method: 'GET', route: '/api/v1/images/:id', status: '200' })).toBe(2);
    expect(sample(text, 'cbmir_http_request_duration_seconds_count', { route: '(unmatched)', status: '404' })).toBe(1);
    expect(text).not.toContain(results[0]!.imageId);
    // The refusals of the first test were timed too.
    expect(sample(text, 'cbmir_http_request_duration_seconds_count', { route: '/metrics', status: '403' })).toBe(1);

    // The demo seed and the query were embedded: at least one batch each, every image counted once.
    const batches = sample(text, 'cbmir_embed_batch_duration_seconds_count')!;
    expect(batches).toBeGreaterThanOrEqual(2);
    expect(sample(text, 'cbmir_embed_batch_size_count')).toBe(batches);
    expect(sample(text, 'cbmir_embed_batch_size_sum')).toBe(DEMO_IMAGES + 1);
    expect(sample(text, 'cbmir_embed_batch_duration_seconds_sum')).toBeGreaterThan(0);

    expect(sample(text, 'cbmir_images_embedded', { version: 'resnet50-untrained-seed42', active: 'true' })).toBe(DEMO_IMAGES);
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as Readiness;
    expect(sample(text, 'cbmir_inference_engine_info', { engine: ready.backend!, version: 'resnet50-untrained-seed42' })).toBe(1);
    expect(sample(text, 'cbmir_jobs', { status: 'queued' })).toBe(0);
    expect(sample(text, 'cbmir_process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(sample(text, 'cbmir_process_peak_resident_memory_bytes')).toBeGreaterThanOrEqual(sample(text, 'cbmir_process_resident_memory_bytes')!);
  });

  it('counts ingest jobs: entries by outcome, finished jobs, and the images they added per version', async () => {
    const images = await Promise.all([11, 12].map((seed) => generateSyntheticFundus({ seed, grade: 0 })));
    const form = new FormData();
    const zip = buildZip([
      { name: 'a.jpg', data: images[0]! },
      { name: 'b.jpg', data: images[1]! },
      { name: 'a-again.jpg', data: images[0]! },
      { name: 'notes.jpg', data: 'not an image' },
    ]);
    form.append('archive', new Blob([new Uint8Array(zip)]), 'metrics.zip');
    const upload = await fetch(`${server.url}/api/v1/archives`, { method: 'POST', body: form, ...as(adminKey) });
    expect(upload.status, await upload.clone().text()).toBe(202);
    const { id } = (await upload.json()) as Job;
    for (const started = Date.now(); ; ) {
      const job = (await (await fetch(`${server.url}/api/v1/jobs/${id}`, as(adminKey))).json()) as Job;
      if (job.status === 'completed') break;
      expect(['queued', 'running']).toContain(job.status);
      expect(Date.now() - started).toBeLessThan(120_000);
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const text = await scrape();
    expect(sample(text, 'cbmir_job_items_total', { status: 'added' })).toBe(2);
    expect(sample(text, 'cbmir_job_items_total', { status: 'duplicate' })).toBe(1);
    expect(sample(text, 'cbmir_job_items_total', { status: 'failed' })).toBe(1);
    expect(sample(text, 'cbmir_jobs_finished_total', { status: 'completed' })).toBe(1);
    expect(sample(text, 'cbmir_jobs', { status: 'completed' })).toBe(1);
    expect(sample(text, 'cbmir_jobs', { status: 'running' })).toBe(0);
    expect(sample(text, 'cbmir_images_embedded', { active: 'true' })).toBe(DEMO_IMAGES + 2);
  });

  it('is served without authentication on CBMIR_METRICS_PORT, which answers nothing else', async () => {
    expect(server.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${server.metricsUrl}/metrics`);
    expect(response.status).toBe(200);
    const text = await response.text();
    expect(sample(text, 'cbmir_http_request_duration_seconds_count', { method: 'POST', route: '/api/v1/search', status: '200' })).toBe(1);
    expect((await fetch(`${server.metricsUrl}/api/v1/images`)).status).toBe(404);
    expect((await fetch(`${server.metricsUrl}/metrics`, { method: 'POST' })).status).toBe(404);
  });
});
