import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';

/** One row of the index benchmark: a vector and the metadata that search filters on. */
export interface BenchVectorRow {
  id: number;
  grade: number;
  eye: 'left' | 'right';
  source: string;
  vector: ArrayLike<number>;
}

export interface BenchFilter {
  grade?: number;
  eye?: 'left' | 'right';
  source?: string;
}

/** The names openVectorBenchTable gives its tables. */
const BENCH_TABLE = /^cbmir_bench_index_[0-9a-f]{8}$/;

/** A table name from the command line is spliced into SQL: only names this bench gives its tables pass. */
function checkBenchTableName(table: string): void {
  if (!BENCH_TABLE.test(table)) throw new RangeError(`not a table of pnpm bench index (cbmir_bench_index_ and 8 hex digits): ${table}`);
}

/** pgvector 0.8's iterative index scan: off, or go on past filtered-out rows (strict or relaxed distance order). */
export type IterativeScan = 'off' | 'strict_order' | 'relaxed_order';

/**
 * A scratch table shaped like `embeddings` for `pnpm bench index`: the vector column is untyped and the HNSW
 * index is built on `embedding::vector(d)` with vector_l2_ops, as embedding-repository.ts does per model
 * version, so the numbers are those of the server's own query. Dropped by drop().
 */
export async function openVectorBenchTable(databaseUrl: string, dim: number, options: { existing?: string } = {}) {
  if (!Number.isInteger(dim) || dim < 1 || dim > 2000) throw new RangeError(`dim must be an integer from 1 to 2000 (HNSW's limit), got ${dim}`);
  if (options.existing !== undefined) checkBenchTableName(options.existing);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  const table = options.existing ?? `cbmir_bench_index_${randomBytes(4).toString('hex')}`;
  const index = `${table}_hnsw`;
  const column = `embedding::vector(${dim})`;
  let settings = '';
  /** Session settings, sent only when they change (a SET per query would add a round trip to every timing). */
  async function use(wanted: string): Promise<void> {
    if (wanted === settings) return;
    await client.query(wanted);
    settings = wanted;
  }
  try {
    if (options.existing !== undefined) {
      const found = await client.query(`SELECT relname FROM pg_class WHERE relname IN ($1, $2)`, [table, index]);
      if (found.rowCount !== 2) throw new Error(`no table ${table} with its index ${index} on this server (kept by an earlier run with --keep?)`);
    } else {
      await client.query('CREATE EXTENSION IF NOT EXISTS vector');
      await client.query(
        `CREATE TABLE ${table} (id integer NOT NULL, grade smallint NOT NULL, eye text NOT NULL, source text NOT NULL, embedding vector NOT NULL)`,
      );
    }
  } catch (error) {
    await client.end();
    throw error;
  }
  const pgvectorVersion = (await client.query<{ v: string }>(`SELECT extversion AS v FROM pg_extension WHERE extname = 'vector'`)).rows[0]?.v ?? 'unknown';
  const serverVersion = (await client.query<{ v: string }>(`SELECT current_setting('server_version') AS v`)).rows[0]?.v ?? 'unknown';

  async function indexBytes(): Promise<number> {
    const size = await client.query<{ bytes: string }>(`SELECT pg_relation_size('${index}') AS bytes`);
    return Number(size.rows[0]!.bytes);
  }

  function filterSql(filter: BenchFilter | undefined, params: unknown[]): string {
    const parts: string[] = [];
    if (filter?.grade !== undefined) parts.push(`grade = $${params.push(filter.grade)}`);
    if (filter?.eye !== undefined) parts.push(`eye = $${params.push(filter.eye)}`);
    if (filter?.source !== undefined) parts.push(`source = $${params.push(filter.source)}`);
    return parts.length ? `WHERE ${parts.join(' AND ')}` : '';
  }

  return {
    table,
    pgvectorVersion,
    serverVersion,

    /** Loads rows with COPY (text format), streamed. */
    async copy(rows: Iterable<BenchVectorRow>): Promise<void> {
      function* lines(): Generator<string> {
        let chunk = '';
        for (const row of rows) {
          chunk += `${row.id}\t${row.grade}\t${row.eye}\t${row.source}\t[${Array.from(row.vector).join(',')}]\n`;
          if (chunk.length > 1 << 20) {
            yield chunk;
            chunk = '';
          }
        }
        if (chunk) yield chunk;
      }
      await pipeline(Readable.from(lines()), client.query(copyFrom(`COPY ${table} (id, grade, eye, source, embedding) FROM STDIN`)));
      await client.query(`ANALYZE ${table}`);
    },

    /** Builds the HNSW index; returns its size in bytes. */
    async buildIndex(options: { m: number; efConstruction: number; maintenanceWorkMem: string }): Promise<{ bytes: number }> {
      if (!/^\d+\s*(kB|MB|GB)$/.test(options.maintenanceWorkMem))
        throw new RangeError(`maintenance_work_mem must look like 512MB, got ${options.maintenanceWorkMem}`);
      await client.query(`SET maintenance_work_mem = '${options.maintenanceWorkMem}'`);
      await client.query(
        `CREATE INDEX ${index} ON ${table} USING hnsw ((${column}) vector_l2_ops) WITH (m = ${Math.trunc(options.m)}, ef_construction = ${Math.trunc(options.efConstruction)})`,
      );
      await client.query(`ANALYZE ${table}`);
      return { bytes: await indexBytes() };
    },

    /**
     * The k nearest ids by the index, as the server asks (ORDER BY embedding::vector(d) <-> q LIMIT k). With a
     * filter and an iterative scan, the server's settings: the scan goes on past filtered-out rows, and sorting
     * is off so the planner keeps the ordered index scan.
     */
    async nearest(vector: ArrayLike<number>, k: number, options: { efSearch: number; filter?: BenchFilter; iterative?: IterativeScan }): Promise<number[]> {
      await use(
        `SET hnsw.ef_search = ${Math.trunc(options.efSearch)}; SET hnsw.iterative_scan = ${options.iterative ?? 'off'}; SET enable_sort = ${options.filter ? 'off' : 'on'}`,
      );
      const params: unknown[] = [`[${Array.from(vector).join(',')}]`, k];
      const rows = await client.query<{ id: number }>(
        `SELECT id FROM ${table} ${filterSql(options.filter, params)} ORDER BY ${column} <-> $1::vector(${dim}) LIMIT $2`,
        params,
      );
      return rows.rows.map((row) => row.id);
    },

    /**
     * The k nearest ids that pass the filter by an exact scan over them, the server's plan for narrow filters
     * (embedding-repository.ts: a MATERIALIZED CTE, so the planner cannot turn it back into an index scan).
     */
    async exactNearest(vector: ArrayLike<number>, k: number, filter: BenchFilter): Promise<number[]> {
      const params: unknown[] = [`[${Array.from(vector).join(',')}]`, k];
      const where = filterSql(filter, params);
      // The planner's defaults, as in the server's exact query (enable_sort off would only mislead it here).
      await use('RESET hnsw.ef_search; RESET hnsw.iterative_scan; RESET enable_sort');
      const rows = await client.query<{ id: number }>(
        `WITH candidates AS MATERIALIZED (SELECT id, embedding FROM ${table} ${where})
         SELECT id FROM candidates ORDER BY ${column} <-> $1::vector(${dim}), id LIMIT $2`,
        params,
      );
      return rows.rows.map((row) => row.id);
    },

    /** Rows in the table (to check that a kept table is the one the options describe). */
    async rowCount(): Promise<number> {
      return Number((await client.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n);
    },

    /** The HNSW index's size in bytes (of a table kept from an earlier run). */
    indexBytes,

    /** A b-tree on the filter columns (as the server's images table has), for the exact plan. */
    async indexMetadata(): Promise<void> {
      await client.query(`CREATE INDEX IF NOT EXISTS ${table}_metadata ON ${table} (grade, eye, source)`);
      await client.query(`ANALYZE ${table}`);
    },

    /** The plan of a filtered query (to check that the index serves it). */
    async explain(vector: ArrayLike<number>, k: number, filter?: BenchFilter): Promise<string> {
      const params: unknown[] = [`[${Array.from(vector).join(',')}]`, k];
      const rows = await client.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT id FROM ${table} ${filterSql(filter, params)} ORDER BY ${column} <-> $1::vector(${dim}) LIMIT $2`,
        params,
      );
      return rows.rows.map((row) => row['QUERY PLAN']).join('\n');
    },

    /** Drops the scratch table and disconnects. */
    async drop(): Promise<void> {
      try {
        await client.query(`DROP TABLE IF EXISTS ${table}`);
      } finally {
        await client.end();
      }
    },

    /** Disconnects and leaves the table with its index, to be measured again (`--table`). */
    async keep(): Promise<void> {
      await client.end();
    },
  };
}

export type VectorBenchTable = Awaited<ReturnType<typeof openVectorBenchTable>>;

/** Drops a table kept by `pnpm bench index --keep`. */
export async function dropVectorBenchTable(databaseUrl: string, table: string): Promise<void> {
  checkBenchTableName(table);
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(`DROP TABLE IF EXISTS ${table}`);
  } finally {
    await client.end();
  }
}
