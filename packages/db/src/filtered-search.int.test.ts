import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageFilter } from './image-filter.ts';
import { openDatabase, type Database } from './open-database.ts';
import { createTestDatabase } from './test-database.ts';

// k-NN combined with filters, on a few thousand vectors inserted through the repositories (no embedder).
const N = 3000;
const DIM = 16;
const K = 10;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let db: Database;
let space: { id: string; embeddingDim: number };
const vectors = new Map<string, number[]>();
const labels = new Map<string, { grade: number | null; eye: 'left' | 'right' | null; source: string; patient: string }>();

beforeAll(async () => {
  target = await createTestDatabase();
  db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
  space = await db.modelVersions.create({
    name: 'filtered',
    architecture: 'resnet-tiny',
    embeddingDim: DIM,
    inputSize: 32,
    preprocessing: {},
    spec: {},
    weightsPath: null,
    trained: false,
  });
  await db.embeddings.ensureIndex(space);
  const rows: { imageId: string; vector: number[] }[] = [];
  for (let i = 0; i < N; i++) {
    // Every 20th image is grade 4: a filter on it passes 5% of the archive.
    const grade = i % 20 === 0 ? 4 : i % 7 === 0 ? null : i % 4;
    const label = {
      grade,
      eye: i % 2 === 0 ? ('left' as const) : ('right' as const),
      source: i % 3 === 0 ? 'clinic-a' : 'clinic-b',
      patient: `p${Math.floor(i / 2)}`,
    };
    const sha = i.toString(16).padStart(64, '0');
    const { image } = await db.images.insertOrGet({
      sha256: sha,
      originalPath: `o/${sha}`,
      thumbnailPath: `t/${sha}`,
      format: 'jpeg',
      width: 64,
      height: 64,
      eye: label.eye,
      grade: label.grade,
      patientRef: label.patient,
      source: label.source,
    });
    const vector = Array.from({ length: DIM }, (_, j) => scatter(i, j));
    vectors.set(image.id, vector);
    labels.set(image.id, label);
    rows.push({ imageId: image.id, vector });
  }
  for (let i = 0; i < rows.length; i += 500) await db.embeddings.upsertMany(space, rows.slice(i, i + 500));
});

afterAll(async () => {
  await db?.close();
  await target?.drop();
});

/** Points spread over [-1, 1)^DIM, reproducibly (the classic shader hash: no generator state needed). */
const scatter = (i: number, j: number) => (Math.abs(Math.sin(i * 91.7 + j * 13.3) * 43758.5453) % 1) * 2 - 1;

const l2 = (a: number[], b: number[]) => Math.hypot(...a.map((x, i) => x - b[i]!));

/** The true k nearest among the images `keep` accepts, by brute force in memory. */
function bruteForce(query: number[], keep: (id: string) => boolean, k = K) {
  return [...vectors]
    .filter(([id]) => keep(id))
    .map(([id, v]) => ({ id, d: l2(query, v) }))
    .sort((a, b) => a.d - b.d)
    .slice(0, k)
    .map((x) => x.id);
}

describe(`k-NN with filters (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  const query = Array.from({ length: DIM }, (_, i) => Math.sin(i));
  const grade4: ImageFilter = { grades: [4] };

  it('returns k results for a filter passing 5% of 3,000 vectors, through an iterative HNSW scan', async () => {
    const plan = await db.embeddings.explainFilteredSearch(space, query, K, grade4);
    expect(plan).toMatch(/embeddings_hnsw_/);
    // exactMaxRows 0: no exact shortcut, so the index scan has to walk past the 95% the filter refuses.
    const result = await db.embeddings.search(space, query, K, { filter: grade4, exactMaxRows: 0 });
    expect(result.matching).toBe(N / 20);
    expect(result.strategy).toBe('hnsw-iterative');
    expect(result.neighbours).toHaveLength(K);
    expect(result.neighbours.every((n) => labels.get(n.imageId)!.grade === 4)).toBe(true);
    const distances = result.neighbours.map((n) => n.distance);
    expect(distances).toEqual([...distances].sort((a, b) => a - b));
    // Approximate, but on this small graph it finds (nearly) the true neighbours.
    const truth = new Set(bruteForce(query, (id) => labels.get(id)!.grade === 4));
    expect(result.neighbours.filter((n) => truth.has(n.imageId)).length).toBeGreaterThanOrEqual(K - 1);
  });

  it('counts the images that pass a filter only up to a limit, and then says more pass', async () => {
    // 150 images pass grade 4. Counting stops one row past the limit.
    const atLimit = await db.embeddings.search(space, query, K, { filter: grade4, matchingCountMax: N / 20 });
    expect(atLimit).toMatchObject({ matching: N / 20, matchingCapped: false, strategy: 'exact' });
    const capped = await db.embeddings.search(space, query, K, { filter: grade4, matchingCountMax: 100 });
    expect(capped).toMatchObject({ matching: 100, matchingCapped: true });
    // More pass than were counted, so the exact shortcut is not taken, yet k results come back, all passing.
    expect(capped.strategy).toBe('hnsw-iterative');
    expect(capped.neighbours).toHaveLength(K);
    expect(capped.neighbours.every((n) => labels.get(n.imageId)!.grade === 4)).toBe(true);
    const unfiltered = await db.embeddings.search(space, query, K);
    expect(unfiltered).toMatchObject({ matching: null, matchingCapped: false, strategy: 'hnsw' });
  });

  it('answers a selective filter exactly, by default', async () => {
    const result = await db.embeddings.search(space, query, K, { filter: grade4 });
    expect(result.strategy).toBe('exact');
    expect(result.neighbours.map((n) => n.imageId)).toEqual(bruteForce(query, (id) => labels.get(id)!.grade === 4));
  });

  it('combines grade range with unknown, eye, source, patient and date filters', async () => {
    const some = [...labels.entries()][40]!;
    const filter: ImageFilter = {
      grades: [2, 3, null],
      eyes: ['right'],
      source: 'clinic-b',
      excludePatientRef: some[1].patient,
      ingestedFrom: new Date(Date.now() - 3_600_000),
      ingestedBefore: new Date(Date.now() + 3_600_000),
    };
    const keep = (id: string) => {
      const label = labels.get(id)!;
      return [2, 3, null].includes(label.grade) && label.eye === 'right' && label.source === 'clinic-b' && label.patient !== some[1].patient;
    };
    const result = await db.embeddings.search(space, query, K, { filter });
    expect(result.matching).toBe([...labels.keys()].filter(keep).length);
    expect(result.neighbours.map((n) => n.imageId)).toEqual(bruteForce(query, keep));
    const iterative = await db.embeddings.search(space, query, K, { filter, exactMaxRows: 0 });
    expect(iterative.neighbours).toHaveLength(K);
    expect(iterative.neighbours.every((n) => keep(n.imageId))).toBe(true);
  });

  it('returns nothing, with zero matching, for a filter nothing passes', async () => {
    const result = await db.embeddings.search(space, query, K, { filter: { grades: [4], source: 'nowhere' } });
    expect(result).toEqual({ neighbours: [], matching: 0, matchingCapped: false, strategy: 'exact' });
    const future = await db.embeddings.search(space, query, K, { filter: { ingestedFrom: new Date(Date.now() + 86_400_000) } });
    expect(future.neighbours).toEqual([]);
  });

  it('leaves out one image without counting the archive', async () => {
    const [nearest] = await db.embeddings.nearest(space, query, 1);
    const result = await db.embeddings.search(space, query, K, { filter: { excludeImageId: nearest!.imageId } });
    expect(result.strategy).toBe('hnsw');
    expect(result.neighbours).toHaveLength(K);
    expect(result.neighbours.map((n) => n.imageId)).not.toContain(nearest!.imageId);
  });
});
