import { fileStoreFactory, type FileStore } from '../storage/file-store.ts';
import { mkdtempSync, rmSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase, type Database, type StoredModelVersion } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { resolveEmbedderSpec } from '@cbmir/embedder';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { embedMissing } from './embed-missing.ts';
import { ingestServiceFactory, type IngestService } from '../ingest/ingest-service.ts';
import { modelActivationFactory } from './model-activation.ts';
import { modelRuntimeFactory, untrainedVersionRecord, type ModelRuntime } from './model-runtime.ts';

// Stored originals that are damaged or gone, against the real database (PGlite or PostgreSQL), the real
// model runtime (a tiny network) and real files: the fault is on disk, where the indexing reads it.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-unreadable-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Database;
let runtime: ModelRuntime;
let files: FileStore;
let ingest: IngestService;
const warnings: string[] = [];
const log = { info: () => {}, warn: (m: string) => void warnings.push(m) };
const tiny = (name: string, seed: number) =>
  db.modelVersions.create(untrainedVersionRecord(name, resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 64, embeddingDim: 16, seed })));

const originals: Uint8Array[] = [];
const ids: string[] = [];

beforeAll(async () => {
  target = await createTestDatabase();
  db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
  const first = await tiny('tiny-first', 7);
  runtime = modelRuntimeFactory({ db, dataDir, inference: 'tfjs', defaultVersion: async () => first, log: { info: () => {}, warn: () => {} } });
  await runtime.start();
  files = fileStoreFactory({ dataDir });
  ingest = ingestServiceFactory({ db, files, runtime });
  for (const seed of [1, 2, 3, 4]) originals.push(await generateSyntheticFundus({ seed, grade: 1, size: 128 }));
  const outcomes = await ingest.ingestBatch(originals.map((bytes, i) => ({ fileName: `image-${i}.jpg`, bytes, source: 'test' })));
  for (const outcome of outcomes) {
    if (outcome.status !== 'added') throw new Error(`setup: ${JSON.stringify(outcome)}`);
    ids.push(outcome.imageId);
  }
});

afterAll(async () => {
  await runtime?.stop();
  await db?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

const original = async (id: string) => files.absolute((await db.images.findById(id))!.originalPath);

describe(`unreadable stored originals (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let second: StoredModelVersion;

  it('an activation completes although one original is damaged and another missing: both are marked with their reason and logged once, the others embedded', async () => {
    const damaged = await original(ids[1]!);
    writeFileSync(damaged, originals[1]!.subarray(0, 600)); // a JPEG cut short
    unlinkSync(await original(ids[2]!));
    second = await tiny('tiny-second', 8);
    const activation = modelActivationFactory({ db, files, runtime, log });

    await activation.activateNow(second.id);

    expect(runtime.version?.id).toBe(second.id);
    expect(await activation.progress(second)).toMatchObject({ state: 'active', embedded: 2, total: 4, unreadable: 2, error: null });
    expect(await db.embeddings.find(second, ids[0]!)).not.toBeNull();
    expect(await db.embeddings.find(second, ids[3]!)).not.toBeNull();
    expect((await db.images.findById(ids[1]!))!.unreadableReason).toMatch(
      /^its original images\/originals\/.+ does not decode \(The JPEG file is truncated or corrupt/,
    );
    expect((await db.images.findById(ids[2]!))!.unreadableReason).toMatch(/^its original images\/originals\/.+ is missing$/);
    expect(warnings).toHaveLength(2);
    expect(warnings.every((line) => /^image [0-9a-f-]{36}: its original .+; marked unreadable and left out of indexing/.test(line))).toBe(true);
  });

  it('the next run (a restart) does not come back to them: nothing to embed, nothing logged', async () => {
    warnings.length = 0;
    expect(await db.embeddings.imagesWithout(second, 16)).toEqual([]);
    expect(await embedMissing({ db, files, runtime, log }, runtime.active!)).toBe(0);
    expect(warnings).toEqual([]);
  });

  it('ingesting the same file again stores its original again, clears the mark and embeds it under the active version', async () => {
    const [outcome] = await ingest.ingestBatch([{ fileName: 'again.jpg', bytes: originals[1]!, source: 'test' }]);
    expect(outcome).toEqual({ fileName: 'again.jpg', status: 'duplicate', imageId: ids[1] });
    expect((await db.images.findById(ids[1]!))!.unreadableReason).toBeNull();
    expect(await db.embeddings.find(second, ids[1]!)).not.toBeNull();
    expect(await db.images.countUnreadable()).toBe(1);
  });

  it('an image store that is not there (a volume not mounted) marks nothing: the indexing fails with that reason instead', async () => {
    const third = await runtime.load(await tiny('tiny-third', 9));
    try {
      const elsewhere = fileStoreFactory({ dataDir: mkdtempSync(join(tmpdir(), 'cbmir-unmounted-')) });
      await expect(embedMissing({ db, files: elsewhere, runtime, log }, third)).rejects.toThrow(
        /the image store .+ is missing \(is CBMIR_DATA_DIR's volume mounted\?\)/,
      );
      expect(await db.images.countUnreadable()).toBe(1);
    } finally {
      third.embedder.dispose();
    }
  });
});
