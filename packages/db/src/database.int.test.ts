import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './open-database.ts';
import { createTestDatabase } from './test-database.ts';
import { testImageRow } from './test-image-row.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-db-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Database;

const image = (sha256: string, grade: number | null) => testImageRow(sha256, { grade, patientRef: `p-${sha256}` });

beforeAll(async () => {
  target = await createTestDatabase();
  db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir });
});

afterAll(async () => {
  await db?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe(`database (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('applies the migrations once and records them in _prisma_migrations', async () => {
    expect(db.appliedMigrations.length).toBeGreaterThan(0);
    const rows = await db.sql.query<{ n: number }>(`SELECT count(*)::int AS n FROM "_prisma_migrations"`);
    expect(rows[0]!.n).toBe(db.appliedMigrations.length);
  });

  it('stores an image once per content hash', async () => {
    const first = await db.images.insertOrGet(image('a'.repeat(64), 2));
    const second = await db.images.insertOrGet(image('a'.repeat(64), 3));
    expect(first.inserted).toBe(true);
    expect(second.inserted).toBe(false);
    expect(second.image.id).toBe(first.image.id);
    expect(second.image.grade).toBe(2);
    expect(await db.images.count()).toBe(1);
  });

  it('refuses a grade outside 0-4', async () => {
    await expect(db.images.insertOrGet(image('b'.repeat(64), 7))).rejects.toThrow(/grade/);
  });

  it('keeps exactly one active model version', async () => {
    const spec = { architecture: 'resnet-tiny', embeddingDim: 3, inputSize: 32, preprocessing: {}, spec: {}, weightsPath: null, trained: false };
    const v1 = await db.modelVersions.create({ ...spec, name: 'v1' });
    const v2 = await db.modelVersions.create({ ...spec, name: 'v2' });
    await db.modelVersions.activate(v1.id);
    await db.modelVersions.activate(v2.id);
    expect((await db.modelVersions.findActive())?.id).toBe(v2.id);
    expect((await db.modelVersions.list()).filter((v) => v.active)).toHaveLength(1);
    await expect(db.modelVersions.activate('00000000-0000-4000-8000-000000000000')).rejects.toThrow(/unknown/);
    expect((await db.modelVersions.findActive())?.id).toBe(v2.id);
  });

  it('finds L2 nearest neighbours through the version HNSW index', async () => {
    const space = await db.modelVersions.create({
      name: 'knn',
      architecture: 'resnet-tiny',
      embeddingDim: 3,
      inputSize: 32,
      preprocessing: {},
      spec: {},
      weightsPath: null,
      trained: false,
    });
    await db.embeddings.ensureIndex(space);
    expect(await db.embeddings.indexDefinition(space)).toMatch(/USING hnsw .*WITH \(m='?32'?, ef_construction='?128'?\)/);
    const points: [string, number[]][] = [
      ['c', [0, 0, 0]],
      ['d', [1, 0, 0]],
      ['e', [0, 3, 0]],
      ['f', [0, 0, 10]],
    ];
    const ids: Record<string, string> = {};
    for (const [name, vector] of points) {
      const { image: stored } = await db.images.insertOrGet(image(name.repeat(64), 0));
      ids[name] = stored.id;
      await db.embeddings.upsertMany(space, [{ imageId: stored.id, vector }]);
    }
    const hits = await db.embeddings.nearest(space, [0.9, 0, 0], 3);
    expect(hits.map((h) => h.imageId)).toEqual([ids.d, ids.c, ids.e]);
    expect(hits[0]!.distance).toBeCloseTo(0.1, 5);
    expect(hits[2]!.distance).toBeCloseTo(Math.hypot(0.9, 3), 5);

    const excluding = await db.embeddings.nearest(space, [1, 0, 0], 2, { excludeImageId: ids.d });
    expect(excluding.map((h) => h.imageId)).toEqual([ids.c, ids.e]);

    expect(await db.embeddings.find(space, ids.e!)).toEqual([0, 3, 0]);
    expect(await db.embeddings.count(space)).toBe(4);
    const plan = await db.embeddings.explainNearest(space, [0, 0, 0], 3);
    expect(plan).toMatch(/embeddings_hnsw_/);
  });

  it('rejects vectors of the wrong length or with NaN without writing anything', async () => {
    const space = (await db.modelVersions.findByName('knn'))!;
    await expect(db.embeddings.nearest(space, [1, 2], 3)).rejects.toThrow(/3/);
    const { image: stored } = await db.images.insertOrGet(image('9'.repeat(64), 1));
    await expect(db.embeddings.upsertMany(space, [{ imageId: stored.id, vector: [1, Number.NaN, 0] }])).rejects.toThrow(/finite/);
    expect(await db.embeddings.find(space, stored.id)).toBeNull();
    expect(await db.embeddings.imagesWithout(space, 10)).toContain(stored.id);
  });

  it('stores a batch of embeddings in one statement: a repeated image keeps its last vector, a stored one is replaced', async () => {
    const space = (await db.modelVersions.findByName('knn'))!;
    const { image: a } = await db.images.insertOrGet(image('7'.repeat(64), 1));
    const { image: b } = await db.images.insertOrGet(image('8'.repeat(64), 1));
    await db.embeddings.upsertMany(space, [{ imageId: a.id, vector: [5, 5, 5] }]);
    await db.embeddings.upsertMany(space, [
      { imageId: a.id, vector: [1, 1, 1] },
      { imageId: b.id, vector: [2, 2, 2] },
      { imageId: b.id, vector: [3, 3, 3] },
    ]);
    expect(await db.embeddings.find(space, a.id)).toEqual([1, 1, 1]);
    expect(await db.embeddings.find(space, b.id)).toEqual([3, 3, 3]);
    // One bad vector in a batch stores none of it.
    await expect(
      db.embeddings.upsertMany(space, [
        { imageId: a.id, vector: [9, 9, 9] },
        { imageId: b.id, vector: [9, 9] },
      ]),
    ).rejects.toThrow(/dimensions/);
    expect(await db.embeddings.find(space, a.id)).toEqual([1, 1, 1]);
  });

  it('keeps its data across a restart and applies no migration twice', async () => {
    const before = await db.images.count();
    await db.close();
    db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir });
    expect(db.appliedMigrations).toEqual([]);
    expect(await db.images.count()).toBe(before);
    const space = (await db.modelVersions.findByName('knn'))!;
    expect(await db.embeddings.nearest(space, [0, 0, 0], 1)).toHaveLength(1);
  }, 60_000);
});
