import { useTinyModelRuntime } from '../models/test-tiny-runtime.ts';
import { fileStoreFactory } from '../storage/file-store.ts';
import { randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { StoredJob } from '@cbmir/db';
import type { InferenceEmbedder } from '@cbmir/embedder';
import { generateSyntheticFundus, ImageValidationError } from '@cbmir/imaging';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_ARCHIVE_LIMITS } from '../archives/archive-limits.ts';
import { jobWorkerFactory } from '../jobs/job-worker.ts';
import { EmbedderUnavailable, RejectedImage } from '../embedding/embed-errors.ts';
import { ingestJobServiceFactory } from './ingest-jobs.ts';
import { ingestServiceFactory } from './ingest-service.ts';
import type { ModelRuntime } from '../models/model-runtime.ts';

// Who pays for an embedder failure during ingest, with the real model runtime (a tiny network), the real
// database (PGlite or PostgreSQL), the real job queue and worker. The fault is injected at the engine seam:
// the loaded network's forward pass throws as a dead ONNX Runtime worker does.
const fixture = useTinyModelRuntime('cbmir-ingest-faults-', 'tiny-faults');
const { dataDir } = fixture;
let engineDown = false;
let forwardPasses = 0;

beforeAll(() => {
  const model = fixture.runtime.active!;
  const network = model.embedder;
  model.embedder = new Proxy(network, {
    get(real, name: keyof InferenceEmbedder) {
      if (name === 'embed') {
        return (inputs: Float32Array[], options?: { batchSize?: number }) => {
          forwardPasses++;
          return engineDown ? Promise.reject(new Error('the ONNX Runtime worker exited (code 1)')) : real.embed(inputs, options);
        };
      }
      const value = real[name];
      return typeof value === 'function' ? value.bind(real) : value;
    },
  });
});

beforeEach(() => {
  engineDown = false;
  forwardPasses = 0;
});

const fundus = (seed: number) => generateSyntheticFundus({ seed, grade: 1, size: 128 });

async function waitFor(id: string, done: (job: StoredJob) => boolean): Promise<StoredJob> {
  for (const started = Date.now(); Date.now() - started < 120_000; ) {
    const job = (await fixture.db.jobs.findById(id))!;
    if (done(job)) return job;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`job ${id} did not get there`);
}

describe(`embedder failures during ingest (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('the runtime tells a failed forward pass (EmbedderUnavailable) from an image it refuses (RejectedImage, with its index)', async () => {
    const good = await fundus(1);
    engineDown = true;
    const down = await fixture.runtime.embedImages([good, good]).catch((error: unknown) => error);
    expect(down).toBeInstanceOf(EmbedderUnavailable);
    expect((down as Error).message).toBe('the embedder is not working (the ONNX Runtime worker exited (code 1))');
    engineDown = false;
    forwardPasses = 0;
    const refused = await fixture.runtime.embedImages([good, new Uint8Array([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]), good]).catch((error: unknown) => error);
    expect(refused).toBeInstanceOf(RejectedImage);
    expect(refused).toBeInstanceOf(ImageValidationError); // a query image is refused with the same 4xx as before
    expect((refused as RejectedImage).index).toBe(1);
    expect(forwardPasses).toBe(0); // refused before the network ran
  });

  it('a dead engine fails the batch once with its reason: no image is charged with it, the job attempt is retried and then completes', async () => {
    const folder = join(dataDir, 'folder-engine-down');
    mkdirSync(folder, { recursive: true });
    for (const seed of [11, 12, 13]) writeFileSync(join(folder, `image-${seed}.jpg`), await fundus(seed));
    const files = fileStoreFactory({ dataDir });
    const ingest = ingestServiceFactory({ db: fixture.db, files, runtime: fixture.runtime });
    const jobs = ingestJobServiceFactory({ db: fixture.db, files, ingest, limits: DEFAULT_ARCHIVE_LIMITS, batchSize: 16 });
    const warnings: string[] = [];
    const worker = jobWorkerFactory({
      db: fixture.db,
      jobs,
      files,
      leaseSeconds: 60,
      embedded: true,
      pollMs: 50,
      log: { info: () => {}, warn: (m) => void warnings.push(m) },
    });
    engineDown = true;
    const job = await jobs.create({ id: randomUUID(), inputPath: folder, owned: false });
    await worker.start();
    try {
      const retried = await waitFor(job.id, (j) => j.attempts === 1);
      expect(retried).toMatchObject({ status: 'queued', done: 0, added: 0, failed: 0 });
      expect(await fixture.db.jobs.items(job.id, { limit: 100 })).toEqual([]);
      expect(forwardPasses).toBe(1); // the batch, not three single images plus a probe
      expect(warnings).toEqual([`job ${job.id}: attempt 1 failed (the embedder is not working (the ONNX Runtime worker exited (code 1))); it will be retried`]);

      engineDown = false; // the worker is replaced
      worker.wake(); // cut the back-off short
      const ended = await waitFor(job.id, (j) => j.status === 'completed' || j.status === 'failed');
      expect(ended).toMatchObject({ status: 'completed', added: 3, failed: 0 }); // (progress resets the attempt count)
    } finally {
      await worker.stop();
    }
  });

  it('an image the embedder refuses fails alone with its own reason; the others are embedded together in one pass', async () => {
    const [first, bad, last] = await Promise.all([fundus(21), fundus(22), fundus(23)]);
    // The runtime's own refusal for an image the network cannot take (decodeImage accepts every image that
    // preprocessing does, so a real one cannot get this far): injected at the runtime's seam.
    const picky: ModelRuntime = Object.create(fixture.runtime, {
      embedImages: {
        value: (images: Parameters<ModelRuntime['embedImages']>[0], model?: Parameters<ModelRuntime['embedImages']>[1]) => {
          // Ingest hands over the image it decoded, which keeps its bytes.
          const index = images.findIndex((image) => (image instanceof Uint8Array ? image : image.bytes) === bad);
          if (index >= 0) return Promise.reject(new RejectedImage(index, new ImageValidationError('undecodable', 'The JPEG is truncated or corrupt.')));
          return fixture.runtime.embedImages(images, model);
        },
      },
    });
    const ingest = ingestServiceFactory({ db: fixture.db, files: fileStoreFactory({ dataDir }), runtime: picky });
    const outcomes = await ingest.ingestBatch([
      { fileName: 'first.jpg', bytes: first, source: 'test' },
      { fileName: 'bad.jpg', bytes: bad, source: 'test' },
      { fileName: 'last.jpg', bytes: last, source: 'test' },
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['added', 'failed', 'added']);
    expect(outcomes[1]).toEqual({ fileName: 'bad.jpg', status: 'failed', code: 'undecodable', reason: 'The JPEG is truncated or corrupt.' });
    expect(forwardPasses).toBe(1);
  });
});
