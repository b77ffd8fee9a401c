import { fileStoreFactory } from '../storage/file-store.ts';
import { randomUUID } from 'node:crypto';
import type { StoredJob } from '@cbmir/db';
import { TEST_JOB_PARAMS, useTestDatabase } from '@cbmir/db/testing';
import { DEFAULT_PREPROCESSING, generateSyntheticFundus, type DecodedImage } from '@cbmir/imaging';
import { describe, expect, it } from 'vitest';
import { EmbedderUnavailable } from '../embedding/embed-errors.ts';
import { ingestServiceFactory } from '../ingest/ingest-service.ts';
import type { ModelRuntime } from '../models/model-runtime.ts';
import { MAX_ATTEMPTS } from './job-worker.ts';
import { scriptedJobWorker } from './test-scripted-worker.ts';

// Retry accounting of ingest jobs against the real job queue (PGlite or PostgreSQL). The job's work itself
// is scripted here: what is under test is what the worker and the queue make of its outcomes.
const fixture = useTestDatabase('cbmir-retry-');
const { dataDir } = fixture;

/** A worker whose job "run" follows a script: one outcome per call, in order. */
function scriptedWorker(script: (() => Promise<'completed'>)[]) {
  return scriptedJobWorker({ db: fixture.db, dataDir, script });
}

async function waitForEnd(id: string, worker: { wake(): void }): Promise<StoredJob> {
  for (const started = Date.now(); Date.now() - started < 60_000; ) {
    const job = (await fixture.db.jobs.findById(id))!;
    if (job.status === 'completed' || job.status === 'failed') return job;
    worker.wake(); // cut the retry back-off short
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not end`);
}

const newJob = () => fixture.db.jobs.create({ id: randomUUID(), kind: 'archive', params: TEST_JOB_PARAMS, total: 10 });
const enoent = () => Promise.reject(Object.assign(new Error('ENOENT: no such file or directory'), { code: 'ENOENT' }));

describe(`job retry accounting (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('restarts do not use up attempts: after several graceful restarts one transient error is retried, not fatal', async () => {
    const job = await newJob();
    for (let i = 0; i < MAX_ATTEMPTS + 1; i++) {
      await fixture.db.jobs.claim(job.id, 'restarting-server', 60);
      await fixture.db.jobs.release(job.id, 'restarting-server');
    }
    const { worker, calls } = scriptedWorker([() => Promise.reject(new Error('connection reset')), async () => 'completed']);
    await worker.start();
    const ended = await waitForEnd(job.id, worker);
    await worker.stop();
    expect(ended.status).toBe('completed');
    expect(calls()).toBe(2);
  });

  it('a missing upload (another server’s volume) is retried, and fails only after the attempts run out', async () => {
    const job = await newJob();
    const { worker, calls } = scriptedWorker([enoent, enoent, enoent, enoent]);
    await worker.start();
    const ended = await waitForEnd(job.id, worker);
    await worker.stop();
    expect(ended.status).toBe('failed');
    expect(calls()).toBe(MAX_ATTEMPTS);
  });

  it('a batch that keeps killing the server is failed at the next start instead of being run again', async () => {
    const job = await newJob();
    for (let i = 0; i < MAX_ATTEMPTS; i++) {
      await fixture.db.jobs.claim(job.id, `server-run-${i}`, 60); // ...which then dies (OOM, native crash, kill -9)
      await fixture.db.jobs.requeueRunning(); // the next start of the embedded server
    }
    const { worker, calls } = scriptedWorker([]);
    await worker.start();
    const ended = await waitForEnd(job.id, worker);
    await worker.stop();
    expect(calls()).toBe(0);
    expect(ended.status).toBe('failed');
    expect(ended.error).toMatch(/stopped 3 times in a row/);
  });
});

describe(`transient embedder failures (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  const version = { id: randomUUID(), embeddingDim: 4 };

  function ingestWith(embed: (images: (Uint8Array | DecodedImage)[]) => Promise<Float32Array[]>) {
    const runtime = { active: { version, preprocessing: DEFAULT_PREPROCESSING }, embedImages: embed } as unknown as ModelRuntime;
    return ingestServiceFactory({ db: fixture.db, files: fileStoreFactory({ dataDir }), runtime });
  }

  it('an embedder that fails on a known-good image too throws (the job is retried), instead of failing every image for good', async () => {
    const ingest = ingestWith(() => Promise.reject(new Error('the ONNX worker exited')));
    const image = await generateSyntheticFundus({ seed: 21, grade: 1 });
    await expect(ingest.ingestBatch([{ fileName: 'a.jpg', bytes: image, source: 'test' }])).rejects.toBeInstanceOf(EmbedderUnavailable);
  });

  it('an image the embedder cannot take while others embed fine is that image’s own failure', async () => {
    const bad = await generateSyntheticFundus({ seed: 22, grade: 2 });
    const ingest = ingestWith(async (images) => {
      // Ingest hands over the image it decoded; the probe of the embedder is bytes.
      if (images.some((image) => (image instanceof Uint8Array ? image : image.bytes) === bad)) throw new Error('preprocessing found no retina');
      return images.map(() => new Float32Array(4));
    });
    const [outcome] = await ingest.ingestBatch([{ fileName: 'bad.jpg', bytes: bad, source: 'test' }]);
    expect(outcome).toMatchObject({ status: 'failed', code: 'embed_failed' });
  });
});
