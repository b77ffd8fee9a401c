import { countTables, dropVectorBenchTable } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { benchIndex, formatIndexBench, type IndexBenchResult } from './bench-index.ts';

// A small run of `pnpm bench index` against the test PostgreSQL server (pgvector 0.8): what it measures must
// be what the index does, and the scratch table must be gone afterwards.
let database: Awaited<ReturnType<typeof createTestDatabase>>;
let result: IndexBenchResult;
const SMALL = { vectors: 2000, dim: 32, queries: 40, k: 10, efSearch: [10, 200], m: 16, efConstruction: 64, maintenanceWorkMem: '64MB', clusters: 32, seed: 7 };

beforeAll(async () => {
  database = await createTestDatabase();
  result = await benchIndex({ ...SMALL, databaseUrl: database.databaseUrl!, log: () => {} });
});

afterAll(async () => {
  await database?.drop();
});

describe('pnpm bench index (postgres)', () => {
  it('builds the index and reports its size, build time, and recall@k near 1 at a wide ef_search', () => {
    expect(result.indexBytes).toBeGreaterThan(2000 * 32 * 4);
    expect(result.buildSeconds).toBeGreaterThan(0);
    expect(result.pgvector).toMatch(/^0\.(8|9)|^[1-9]/);
    const unfiltered = result.runs.filter((r) => r.filter === 'none');
    expect(unfiltered.map((r) => r.efSearch)).toEqual([10, 200]);
    expect(unfiltered.every((r) => r.matching === 2000 && r.short === 0)).toBe(true);
    expect(unfiltered[1]!.recall).toBeGreaterThanOrEqual(0.98);
    expect(unfiltered[1]!.p99Ms).toBeGreaterThanOrEqual(unfiltered[1]!.p50Ms);
  });

  it('shows why filtered search needs the iterative scan: without it a narrow filter returns fewer than k rows', () => {
    const narrow = result.runs.filter((r) => r.filter === 'grade=2 eye=left source=aptos');
    expect(narrow).toHaveLength(6);
    const off = narrow.find((r) => r.iterative === 'off' && r.efSearch === 10)!;
    const iterative = narrow.find((r) => r.iterative === 'strict_order' && r.efSearch === 10)!;
    expect(off.matching).toBeGreaterThanOrEqual(10);
    expect(off.short).toBeGreaterThan(0);
    expect(iterative.short).toBe(0);
    expect(iterative.recall).toBeGreaterThan(off.recall);
    expect(formatIndexBench(result)).toContain('grade=2 eye=left source=aptos');
    // The exact scan is the ground truth computed in the database: recall 1 (up to distance ties), k rows.
    const exact = narrow.find((r) => r.iterative === 'exact')!;
    expect(exact.efSearch).toBeNull();
    expect(exact.recall).toBeGreaterThanOrEqual(0.99);
    expect(exact.short).toBe(0);
    const viaBtree = narrow.find((r) => r.iterative === 'exact-btree')!;
    expect(viaBtree.recall).toBeGreaterThanOrEqual(0.99);
  });

  it('drops its scratch table (the fresh database holds no table afterwards)', async () => {
    expect(await countTables(database.databaseUrl!)).toBe(0);
  });

  it('keeps its table with --keep and measures it again with --table, without loading or building it', async () => {
    const options = { ...SMALL, databaseUrl: database.databaseUrl!, unfilteredOnly: true, log: () => {} };
    const logged: string[] = [];
    const first = await benchIndex({ ...options, keep: true, log: (m) => logged.push(m) });
    const name = /kept (cbmir_bench_index_[0-9a-f]{8})/.exec(logged.join('\n'))?.[1];
    expect(name).toBeDefined();
    expect(first.runs.every((r) => r.filter === 'none')).toBe(true);
    const again = await benchIndex({ ...options, table: name! });
    expect([again.loadSeconds, again.buildSeconds]).toEqual([null, null]);
    expect(again.indexBytes).toBe(first.indexBytes);
    // The same graph and the same queries: the same neighbours.
    expect(again.runs.map((r) => r.recall)).toEqual(first.runs.map((r) => r.recall));
    expect(formatIndexBench(again)).toContain('a kept table measured again');
    await expect(benchIndex({ ...options, vectors: 1000, table: name! })).rejects.toThrow(/holds 2000 vectors, not --vectors 1000/);
    await expect(benchIndex({ ...options, table: 'images; DROP TABLE x' })).rejects.toThrow(/not a table of pnpm bench index/);
    await dropVectorBenchTable(database.databaseUrl!, name!);
    expect(await countTables(database.databaseUrl!)).toBe(0);
  });
});
