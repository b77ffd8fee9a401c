import { imageFilterSql, isUnfiltered, type ImageFilter } from './image-filter.ts';
import type { SqlClient } from './sql-client.ts';
import { parseVectorLiteral, toVectorLiteral } from './vector-literal.ts';

/** What the vector queries need to know about a model version. */
export interface VectorSpace {
  id: string;
  embeddingDim: number;
}

export interface Neighbour {
  imageId: string;
  distance: number;
}

/** How a k-NN query was answered: the HNSW index alone, with iterative scans past filtered-out rows, or exactly. */
export type SearchStrategy = 'hnsw' | 'hnsw-iterative' | 'exact';

export interface FilteredNeighbours {
  neighbours: Neighbour[];
  /**
   * Embedded images that pass the filter, counted up to MATCHING_COUNT_MAX (null: no filter, every embedded
   * image may be returned); with matchingCapped, more than that pass.
   */
  matching: number | null;
  matchingCapped: boolean;
  strategy: SearchStrategy;
}

/**
 * A filter passing at most this many embedded images is answered by an exact scan over them (found through
 * the b-tree on images (grade, eye, source)): exact where the iterative index scan is not. `pnpm bench index`
 * (infra/README.md): at 100k vectors a 2% filter (2,104 rows) took 18 ms exactly against recall@10 0.65-0.76
 * by the iterative scan; at 1M, 21,077 rows took 52 ms exactly through the b-tree on a loaded machine. 10,000
 * rows keeps the exact answer at a few tens of milliseconds.
 */
export const EXACT_SEARCH_MAX_ROWS = 10_000;

/**
 * A filtered search counts the images that pass up to this many, no further: counting every row that passes a
 * broad filter is a join over them all (at 1M images a 14% filter passes 140,000), while "more than 10,000"
 * says as much to the reader and decides the plan (EXACT_SEARCH_MAX_ROWS) as well.
 */
export const MATCHING_COUNT_MAX = 10_000;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/**
 * Each model version has its own partial HNSW index over embedding::vector(d). The planner only uses a
 * partial index when the query's predicate matches it literally, so the version id and dimension are
 * inlined into the SQL -- after checking that they are a uuid and an integer, so nothing can be injected.
 */
function spaceSql(space: VectorSpace) {
  if (!UUID.test(space.id)) throw new Error(`not a model version id: ${space.id}`);
  if (!Number.isInteger(space.embeddingDim) || space.embeddingDim < 1) {
    throw new Error(`not an embedding dimension: ${space.embeddingDim}`);
  }
  return {
    column: `embedding::vector(${space.embeddingDim})`,
    cast: `vector(${space.embeddingDim})`,
    where: `model_version_id = '${space.id}'`,
    indexName: `embeddings_hnsw_${space.id.replaceAll('-', '')}`,
  };
}

function checkDimension(space: VectorSpace, vector: ArrayLike<number>) {
  if (vector.length !== space.embeddingDim) {
    throw new RangeError(`vector has ${vector.length} dimensions, the model version has ${space.embeddingDim}`);
  }
}

/**
 * For the iterative scan. enable_sort off: many images pass the filter here (the few-images case is searched
 * exactly), so the ordered index scan is the plan we want, and the planner may not see that from stale
 * statistics (PGlite has no autovacuum to refresh them).
 */
const FILTERED_EF_SEARCH = 200;
/**
 * Unfiltered k-NN. `pnpm bench index` on 100,000 clustered 128-d vectors (PostgreSQL 15, pgvector 0.8, m 16,
 * ef_construction 64, three builds): recall@10 against exact search 0.928-0.976 at ef_search 40, 0.971-0.999
 * at 80, 0.990-0.999 at 160, for well under 1 ms more per query (see infra/README.md).
 */
const UNFILTERED_EF_SEARCH = 160;
/**
 * The HNSW graph's build parameters. pgvector's defaults (m 16, ef_construction 64) were enough at 100k
 * clustered 128-d vectors (recall@10 0.99 at ef_search 160), not at 1M: 0.898 at ef_search 160 and 0.923 at
 * 320. m 32, ef_construction 128 reached 0.986-0.994 at 160 and 0.997-0.999 at 320 (two builds), for an index
 * of 0.98 GB instead of 0.79 GB and a build about 2.5x as long (`pnpm bench index --vectors 1000000`, infra/README.md).
 */
export const HNSW_M = 32;
export const HNSW_EF_CONSTRUCTION = 128;
const ITERATIVE_SETTINGS = 'SET LOCAL hnsw.iterative_scan = strict_order; SET LOCAL enable_sort = off';

/** The filtered k-NN query that an iterative HNSW scan serves. */
function iterativeSql(s: ReturnType<typeof spaceSql>, where: string) {
  return `SELECT e.image_id, e.${s.column} <-> $1::${s.cast} AS distance
          FROM embeddings e JOIN images i ON i.id = e.image_id
          WHERE ${where}
          ORDER BY e.${s.column} <-> $1::${s.cast}
          LIMIT $2`;
}

export function embeddingRepositoryFactory(db: SqlClient) {
  return {
    /**
     * Creates the version's HNSW index (L2) if it does not exist yet, with HNSW_M and HNSW_EF_CONSTRUCTION. An
     * index built before they changed keeps its own until it is rebuilt (REINDEX INDEX CONCURRENTLY).
     */
    async ensureIndex(space: VectorSpace): Promise<string> {
      const s = spaceSql(space);
      await db.exec(
        `CREATE INDEX IF NOT EXISTS ${s.indexName} ON embeddings USING hnsw ((${s.column}) vector_l2_ops)
         WITH (m = ${HNSW_M}, ef_construction = ${HNSW_EF_CONSTRUCTION}) WHERE ${s.where}`,
      );
      return s.indexName;
    },

    /** The definition of the version's HNSW index, or null where there is none (operators, tests). */
    async indexDefinition(space: VectorSpace): Promise<string | null> {
      const rows = await db.query<{ indexdef: string }>(`SELECT indexdef FROM pg_indexes WHERE indexname = $1`, [spaceSql(space).indexName]);
      return rows[0]?.indexdef ?? null;
    },

    /** Stores (or replaces) a batch of embeddings in one statement; a repeated image id keeps its last vector. */
    async upsertMany(space: VectorSpace, rows: { imageId: string; vector: ArrayLike<number> }[]): Promise<void> {
      if (rows.length === 0) return;
      for (const row of rows) checkDimension(space, row.vector);
      // ON CONFLICT cannot touch one row twice in a statement: the last vector of an id wins, as row by row.
      const last = new Map(rows.map((row) => [row.imageId, row.vector]));
      await db.query(
        `INSERT INTO embeddings (image_id, model_version_id, embedding)
         SELECT image_id, $2, embedding::vector FROM unnest($1::uuid[], $3::text[]) AS batch(image_id, embedding)
         ON CONFLICT (model_version_id, image_id) DO UPDATE SET embedding = EXCLUDED.embedding`,
        [[...last.keys()], space.id, [...last.values()].map(toVectorLiteral)],
      );
    },

    async find(space: VectorSpace, imageId: string): Promise<number[] | null> {
      const rows = await db.query<{ embedding: string }>(`SELECT embedding::text AS embedding FROM embeddings WHERE model_version_id = $1 AND image_id = $2`, [
        space.id,
        imageId,
      ]);
      return rows[0] ? parseVectorLiteral(rows[0].embedding) : null;
    },

    /** The stored embeddings of these images under a version (those that have one), by image id. */
    async findMany(space: VectorSpace, imageIds: string[]): Promise<Map<string, number[]>> {
      if (imageIds.length === 0) return new Map();
      const rows = await db.query<{ image_id: string; embedding: string }>(
        `SELECT image_id, embedding::text AS embedding FROM embeddings WHERE model_version_id = $1 AND image_id = ANY($2::uuid[])`,
        [space.id, imageIds],
      );
      return new Map(rows.map((row) => [row.image_id, parseVectorLiteral(row.embedding)]));
    },

    /** Ids of the images that have no embedding under this version yet (and whose original can be read: images.markUnreadable). */
    async imagesWithout(space: VectorSpace, limit: number): Promise<string[]> {
      const rows = await db.query<{ id: string }>(
        `SELECT i.id FROM images i
         WHERE NOT EXISTS (SELECT 1 FROM embeddings e WHERE e.image_id = i.id AND e.model_version_id = $1)
           AND i.unreadable_at IS NULL
         ORDER BY i.created_at, i.id LIMIT $2`,
        [space.id, limit],
      );
      return rows.map((row) => row.id);
    },

    async count(space: VectorSpace): Promise<number> {
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM embeddings WHERE model_version_id = $1`, [space.id]);
      return Number(rows[0]?.n ?? 0);
    },

    /** Embedded images per model version id (versions without any are absent). */
    async countByVersion(): Promise<Map<string, number>> {
      const rows = await db.query<{ model_version_id: string; n: number }>(
        `SELECT model_version_id, count(*)::int AS n FROM embeddings GROUP BY model_version_id`,
      );
      return new Map(rows.map((row) => [row.model_version_id, Number(row.n)]));
    },

    /**
     * The k nearest images by Euclidean distance, through the version's HNSW index.
     * ef_search is UNFILTERED_EF_SEARCH, or 2k where that is more, so the index returns k rows (ef_search caps results).
     */
    async nearest(space: VectorSpace, vector: ArrayLike<number>, k: number, options: { excludeImageId?: string } = {}): Promise<Neighbour[]> {
      return (await this.search(space, vector, k, { filter: { excludeImageId: options.excludeImageId } })).neighbours;
    },

    /**
     * The k nearest images that pass `filter`. Without a filter: the HNSW index. With one, k results whenever
     * k images pass it: a filter passing few images (EXACT_SEARCH_MAX_ROWS, or `exactMaxRows`) is searched
     * exactly; otherwise the index is scanned iteratively (pgvector 0.8 `hnsw.iterative_scan = strict_order`:
     * the scan goes on past filtered-out rows, in distance order, up to hnsw.max_scan_tuples), and should
     * that still return fewer than k the query is answered exactly.
     */
    async search(
      space: VectorSpace,
      vector: ArrayLike<number>,
      k: number,
      options: { filter?: ImageFilter; exactMaxRows?: number; matchingCountMax?: number } = {},
    ): Promise<FilteredNeighbours> {
      checkDimension(space, vector);
      const s = spaceSql(space);
      const filter = Object.fromEntries(Object.entries(options.filter ?? {}).filter(([, v]) => v !== undefined)) as ImageFilter;
      const literal = toVectorLiteral(vector);
      const toNeighbours = (rows: { image_id: string; distance: number }[]) => rows.map((row) => ({ imageId: row.image_id, distance: Number(row.distance) }));
      const efSearch = Math.max(40, Math.min(1000, k * 2));

      const { excludeImageId, ...narrowing } = filter;
      if (isUnfiltered(narrowing)) {
        // Leaving out one image needs no filter: ask the index for one more.
        const limit = k + (excludeImageId ? 1 : 0);
        return db.transaction(async (tx) => {
          await tx.exec(`SET LOCAL hnsw.ef_search = ${Math.max(UNFILTERED_EF_SEARCH, Math.min(1000, limit * 2))}`);
          const rows = await tx.query<{ image_id: string; distance: number }>(
            `SELECT image_id, ${s.column} <-> $1::${s.cast} AS distance
             FROM embeddings WHERE ${s.where}
             ORDER BY ${s.column} <-> $1::${s.cast}
             LIMIT $2`,
            [literal, limit],
          );
          const kept = rows.filter((row) => row.image_id !== excludeImageId).slice(0, k);
          return { neighbours: toNeighbours(kept), matching: null, matchingCapped: false, strategy: 'hnsw' as const };
        });
      }

      const params: unknown[] = [literal, k];
      const where = `e.${s.where} AND ${imageFilterSql(filter, 'i', params)}`;
      const exact = async (tx: SqlClient) =>
        toNeighbours(
          // MATERIALIZED keeps the planner from turning this back into an (approximate) index scan.
          await tx.query(
            `WITH candidates AS MATERIALIZED (
               SELECT e.image_id, e.embedding FROM embeddings e JOIN images i ON i.id = e.image_id WHERE ${where}
             )
             SELECT image_id, embedding::${s.cast} <-> $1::${s.cast} AS distance FROM candidates
             ORDER BY distance, image_id LIMIT $2`,
            params,
          ),
        );

      const countParams: unknown[] = [];
      const countWhere = `e.${s.where} AND ${imageFilterSql(filter, 'i', countParams)}`;
      const countMax = options.matchingCountMax ?? MATCHING_COUNT_MAX;
      return db.transaction(async (tx) => {
        // One row past the limit tells "more than countMax" from "exactly countMax".
        const counted = await tx.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM (
             SELECT 1 FROM embeddings e JOIN images i ON i.id = e.image_id WHERE ${countWhere} LIMIT ${Math.floor(countMax) + 1}
           ) passing`,
          countParams,
        );
        const passing = Number(counted[0]?.n ?? 0);
        const matchingCapped = passing > countMax;
        const matching = Math.min(passing, countMax);
        if (matching === 0) return { neighbours: [], matching, matchingCapped, strategy: 'exact' as const };
        if (!matchingCapped && matching <= (options.exactMaxRows ?? EXACT_SEARCH_MAX_ROWS)) {
          return { neighbours: await exact(tx), matching, matchingCapped, strategy: 'exact' as const };
        }
        // A wider candidate list than unfiltered search: on 20,000 random 64-d vectors (PostgreSQL) ef_search 200
        // raised recall@10 against exact from 0.70 to 0.88 (5% filter) and 0.64 to 0.95 (50%) for about 1 ms.
        await tx.exec(`SET LOCAL hnsw.ef_search = ${Math.max(FILTERED_EF_SEARCH, efSearch)}; ${ITERATIVE_SETTINGS}`);
        const rows = await tx.query<{ image_id: string; distance: number }>(iterativeSql(s, where), params);
        if (rows.length >= Math.min(k, matching)) return { neighbours: toNeighbours(rows), matching, matchingCapped, strategy: 'hnsw-iterative' as const };
        return { neighbours: await exact(tx), matching, matchingCapped, strategy: 'exact' as const };
      });
    },

    /**
     * The query plan of nearest() with the alternatives to an ordered index scan switched off, so tests and
     * operators can see that the HNSW index can serve it (on a handful of rows the planner rightly prefers a sort).
     */
    async explainNearest(space: VectorSpace, vector: ArrayLike<number>, k: number): Promise<string> {
      const s = spaceSql(space);
      return db.transaction(async (tx) => {
        await tx.exec(`SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_sort = off`);
        const rows = await tx.query<{ 'QUERY PLAN': string }>(
          `EXPLAIN SELECT image_id FROM embeddings WHERE ${s.where}
           ORDER BY ${s.column} <-> $1::${s.cast} LIMIT $2`,
          [toVectorLiteral(vector), k],
        );
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    },

    /** The plan of search()'s iterative index scan for this filter (as run when many images pass it). */
    async explainFilteredSearch(space: VectorSpace, vector: ArrayLike<number>, k: number, filter: ImageFilter): Promise<string> {
      const s = spaceSql(space);
      const params: unknown[] = [toVectorLiteral(vector), k];
      const where = `e.${s.where} AND ${imageFilterSql(filter, 'i', params)}`;
      return db.transaction(async (tx) => {
        await tx.exec(ITERATIVE_SETTINGS);
        const rows = await tx.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${iterativeSql(s, where)}`, params);
        return rows.map((row) => row['QUERY PLAN']).join('\n');
      });
    },
  };
}

export type EmbeddingRepository = ReturnType<typeof embeddingRepositoryFactory>;
