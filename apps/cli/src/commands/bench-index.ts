import { openVectorBenchTable, type BenchFilter, type IterativeScan } from '@cbmir/db';
import { clusteredVectors, queryVectors, SOURCES, type ClusteredVectors } from '../bench-index/clustered-vectors.ts';
import { exactNeighbours, recallAtK } from '../bench-index/exact-neighbours.ts';
import { summarize } from '../latency-summary.ts';

export const INDEX_BENCH_USAGE = `  bench index [--vectors 100000] [--dim 128] [--database-url URL] [--queries 200] [--k 10]
        [--ef-search 10,20,40,80,160,320] [--m 32] [--ef-construction 128] [--maintenance-work-mem 1GB] [--clusters 256] [--seed 42]
        [--unfiltered-only] [--keep | --table NAME] [--json]
      The vector index at scale on a PostgreSQL server (--database-url, else DATABASE_URL): loads random but
      clustered vectors with grade/eye/source metadata into a scratch table with COPY, builds the HNSW index as
      the server does (m, ef_construction), and prints build time, index size, recall@k against exact search and
      p50/p99 query latency at each hnsw.ef_search, unfiltered and with metadata filters, with and without
      pgvector 0.8's iterative index scan (hnsw.iterative_scan = strict_order, as the server uses), and by an exact
      scan of the rows that pass (the server's plan for narrow filters), without and with a b-tree on the filter
      columns. The table is dropped afterwards, unless --keep (then --table NAME measures it again, e.g. on a
      quieter machine, without loading and building it anew: give the same --vectors, --dim, --clusters, --seed).`;

export interface IndexBenchOptions {
  databaseUrl: string;
  vectors: number;
  dim: number;
  queries: number;
  k: number;
  efSearch: number[];
  m: number;
  efConstruction: number;
  maintenanceWorkMem: string;
  clusters: number;
  seed: number;
  /** Leave the table and its index on the server afterwards (its name is logged), to measure it again. */
  keep?: boolean;
  /** Measure a table kept by an earlier run (same --vectors, --dim, --clusters, --seed) instead of loading and building one. */
  table?: string;
  /** Only the unfiltered queries. */
  unfilteredOnly?: boolean;
  log: (message: string) => void;
}

export interface IndexBenchRun {
  /** 'none', or the filter as SQL-ish text (grade=2 eye=left source=aptos). */
  filter: string;
  /** Rows that pass the filter. */
  matching: number;
  /**
   * How the query was answered: the index (iterative scan off or strict_order), or an exact scan of the rows
   * that pass, found by reading every row ('exact') or through a b-tree on grade, eye, source ('exact-btree').
   */
  iterative: IterativeScan | 'exact' | 'exact-btree';
  /** null for the exact scan. */
  efSearch: number | null;
  /** Mean recall@k against exact search over the rows that pass the filter. */
  recall: number;
  p50Ms: number;
  p99Ms: number;
  /** Queries answered with fewer than k rows although k rows pass the filter. */
  short: number;
}

export interface IndexBenchResult {
  vectors: number;
  dim: number;
  queries: number;
  k: number;
  m: number;
  efConstruction: number;
  maintenanceWorkMem: string;
  server: string;
  pgvector: string;
  /** null for a kept table measured again (--table). */
  loadSeconds: number | null;
  buildSeconds: number | null;
  indexBytes: number;
  runs: IndexBenchRun[];
}

/** The filters measured: one grade (a cluster-correlated ~15%) and grade + eye + source (a few percent). */
const FILTERS: BenchFilter[] = [{ grade: 2 }, { grade: 2, eye: 'left', source: 'aptos' }];
/** How far the noise spreads around a cluster centre (centres are N(0, 1) per dimension). */
const SPREAD = 0.6;

function describe(filter: BenchFilter | undefined): string {
  if (!filter) return 'none';
  return Object.entries(filter)
    .map(([key, value]) => `${key}=${value}`)
    .join(' ');
}

function passes(set: ClusteredVectors, filter: BenchFilter | undefined): (row: number) => boolean {
  if (!filter) return () => true;
  const eye = filter.eye === undefined ? undefined : filter.eye === 'left' ? 0 : 1;
  const source = filter.source === undefined ? undefined : SOURCES.indexOf(filter.source as (typeof SOURCES)[number]);
  return (row) =>
    (filter.grade === undefined || set.grade[row] === filter.grade) &&
    (eye === undefined || set.eye[row] === eye) &&
    (source === undefined || set.source[row] === source);
}

export async function benchIndex(options: IndexBenchOptions): Promise<IndexBenchResult> {
  const { k, dim, log } = options;
  const shape = { dim, clusters: options.clusters, spread: SPREAD, seed: options.seed };
  log(`generating ${options.vectors} clustered ${dim}-d vectors (${options.clusters} clusters, seed ${options.seed})`);
  const set = clusteredVectors({ ...shape, count: options.vectors });
  const queries = queryVectors({ ...shape, count: options.queries });

  const table = await openVectorBenchTable(options.databaseUrl, dim, options.table ? { existing: options.table } : {});
  try {
    let loadSeconds: number | null = null;
    let buildSeconds: number | null = null;
    let bytes: number;
    if (options.table) {
      const rows = await table.rowCount();
      if (rows !== options.vectors)
        throw new Error(`${table.table} holds ${rows} vectors, not --vectors ${options.vectors}: give the options of the run that kept it`);
      bytes = await table.indexBytes();
      log(`measuring the kept table ${table.table} and its index (${(bytes / 1024 / 1024).toFixed(1)} MB) again`);
    } else {
      ({ loadSeconds, buildSeconds, bytes } = await loadAndBuild());
    }
    return await measure(loadSeconds, buildSeconds, bytes);
  } finally {
    if (options.keep || options.table) {
      await table.keep();
      log(`kept ${table.table}: measure it again with --table ${table.table}, drop it with DROP TABLE ${table.table}`);
    } else {
      await table.drop();
    }
  }

  async function loadAndBuild(): Promise<{ loadSeconds: number; buildSeconds: number; bytes: number }> {
    log(`loading them into ${table.table} with COPY (PostgreSQL ${table.serverVersion}, pgvector ${table.pgvectorVersion})`);
    let started = performance.now();
    await table.copy(
      (function* () {
        for (let row = 0; row < set.count; row++) {
          yield {
            id: row,
            grade: set.grade[row]!,
            eye: set.eye[row] === 0 ? ('left' as const) : ('right' as const),
            source: SOURCES[set.source[row]!]!,
            vector: set.data.subarray(row * dim, (row + 1) * dim),
          };
        }
      })(),
    );
    const loadSeconds = (performance.now() - started) / 1000;
    log(
      `loaded in ${loadSeconds.toFixed(1)} s; building the HNSW index (m ${options.m}, ef_construction ${options.efConstruction}, maintenance_work_mem ${options.maintenanceWorkMem})`,
    );
    started = performance.now();
    const { bytes } = await table.buildIndex({ m: options.m, efConstruction: options.efConstruction, maintenanceWorkMem: options.maintenanceWorkMem });
    const buildSeconds = (performance.now() - started) / 1000;
    log(`built in ${buildSeconds.toFixed(1)} s, ${(bytes / 1024 / 1024).toFixed(1)} MB`);
    return { loadSeconds, buildSeconds, bytes };
  }

  async function measure(loadSeconds: number | null, buildSeconds: number | null, bytes: number): Promise<IndexBenchResult> {
    log(`exact neighbours of ${queries.length} queries`);

    // Warm the caches once, so the first level does not pay for reading the index from disk.
    for (const query of queries) await table.nearest(query, k, { efSearch: Math.max(...options.efSearch) });

    const runs: IndexBenchRun[] = [];
    const truths = new Map<BenchFilter | undefined, { matching: number; truth: number[][] }>();
    const filters = options.unfilteredOnly ? [] : FILTERS;
    for (const filter of [undefined, ...filters]) {
      const keep = passes(set, filter);
      let matching = 0;
      for (let row = 0; row < set.count; row++) if (keep(row)) matching++;
      truths.set(filter, { matching, truth: queries.map((query) => exactNeighbours(set.data, dim, query, k, keep)) });
    }
    type Plan = IndexBenchRun['iterative'];
    const plans: [BenchFilter | undefined, Plan][] = [
      [undefined, 'off'],
      ...filters.flatMap((filter) => (['off', 'strict_order', 'exact'] as const).map((plan): [BenchFilter, Plan] => [filter, plan])),
      // Last: the b-tree changes the plans above.
      ...filters.map((filter): [BenchFilter, Plan] => [filter, 'exact-btree']),
    ];
    for (const [filter, plan] of plans) {
      if (plan === 'exact-btree' && filter === filters[0]) await table.indexMetadata();
      const { matching, truth } = truths.get(filter)!;
      const exact = plan === 'exact' || plan === 'exact-btree';
      for (const efSearch of exact ? [null] : options.efSearch) {
        const latencies: number[] = [];
        let recall = 0;
        let short = 0;
        for (let q = 0; q < queries.length; q++) {
          const t0 = performance.now();
          const found =
            efSearch === null || plan === 'exact' || plan === 'exact-btree'
              ? await table.exactNearest(queries[q]!, k, filter ?? {})
              : await table.nearest(queries[q]!, k, { efSearch, iterative: plan, ...(filter ? { filter } : {}) });
          latencies.push(performance.now() - t0);
          recall += recallAtK(found, truth[q]!, k);
          if (found.length < Math.min(k, matching)) short++;
        }
        const summary = summarize(latencies)!;
        const run = {
          filter: describe(filter),
          matching,
          iterative: plan,
          efSearch,
          recall: recall / queries.length,
          p50Ms: summary.p50,
          p99Ms: summary.p99,
          short,
        };
        runs.push(run);
        log(
          `  ${run.filter} (${matching} rows) ${plan} ef_search ${efSearch ?? '-'}: recall@${k} ${run.recall.toFixed(3)}, p50 ${run.p50Ms.toFixed(2)} ms, p99 ${run.p99Ms.toFixed(2)} ms${short ? `, ${short} short` : ''}`,
        );
      }
    }
    return {
      vectors: options.vectors,
      dim,
      queries: queries.length,
      k,
      m: options.m,
      efConstruction: options.efConstruction,
      maintenanceWorkMem: options.maintenanceWorkMem,
      server: table.serverVersion,
      pgvector: table.pgvectorVersion,
      loadSeconds,
      buildSeconds,
      indexBytes: bytes,
      runs,
    };
  }
}

export function formatIndexBench(result: IndexBenchResult): string {
  const lines = [
    `HNSW index: ${result.vectors} x ${result.dim}-d clustered vectors, PostgreSQL ${result.server}, pgvector ${result.pgvector}`,
    result.loadSeconds === null || result.buildSeconds === null
      ? `  a kept table measured again; index ${(result.indexBytes / 1024 / 1024).toFixed(1)} MB`
      : `  load (COPY) ${result.loadSeconds.toFixed(1)} s; build (m ${result.m}, ef_construction ${result.efConstruction}, maintenance_work_mem ${result.maintenanceWorkMem}) ${result.buildSeconds.toFixed(1)} s; index ${(result.indexBytes / 1024 / 1024).toFixed(1)} MB`,
    `  ${result.queries} queries, recall@${result.k} against exact search; latency per query over loopback`,
    '',
    ['filter', 'rows', 'plan (iterative scan)', 'ef_search', `recall@${result.k}`, 'p50 ms', 'p99 ms', `< ${result.k} results`].join(' | '),
  ];
  for (const run of result.runs) {
    lines.push(
      [run.filter, run.matching, run.iterative, run.efSearch ?? '-', run.recall.toFixed(3), run.p50Ms.toFixed(2), run.p99Ms.toFixed(2), run.short].join(' | '),
    );
  }
  return lines.join('\n');
}
