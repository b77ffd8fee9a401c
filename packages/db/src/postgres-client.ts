import pg from 'pg';
import type { SqlClient } from './sql-client.ts';

type Queryable = Pick<pg.Pool | pg.PoolClient, 'query'>;

function wrap(db: Queryable, pool: pg.Pool | null): SqlClient {
  return {
    kind: 'postgres',
    async query<Row>(sql: string, params: unknown[] = []) {
      const result = await db.query(sql, params);
      return result.rows as Row[];
    },
    async exec(sql: string) {
      await db.query(sql);
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>) {
      if (!pool) return fn(wrap(db, null));
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await fn(wrap(client, null));
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      } finally {
        client.release();
      }
    },
    async close() {
      if (pool) await pool.end();
    },
  };
}

/** A PostgreSQL server (with the pgvector extension available) at a postgres:// URL. */
export async function openPostgres(
  url: string,
  options: { max?: number; onConnectionError?: (error: Error) => void; lazy?: boolean; connectionTimeoutMillis?: number } = {},
): Promise<SqlClient> {
  const pool = new pg.Pool({ connectionString: url, max: options.max ?? 10, connectionTimeoutMillis: options.connectionTimeoutMillis ?? 0 });
  // A connection dropped by a server restart, failover or pg_terminate_backend emits 'error' on the pool
  // (idle) or on its client (checked out). Unheard, that event ends the process; heard, the pool discards
  // the connection and the next query opens a new one. A query in flight fails with the error as usual.
  const onConnectionError = options.onConnectionError ?? ((error: Error) => console.warn(`database connection lost: ${error.message}`));
  pool.on('error', onConnectionError);
  pool.on('connect', (client) => client.on('error', onConnectionError));
  // A read replica may be down at start: its pool connects when first used (lazy), and reads fall back.
  if (options.lazy) return wrap(pool, pool);
  // Fail at start with the server's own message rather than at the first request.
  const probe = await pool.connect().catch(async (error: Error) => {
    await pool.end().catch(() => undefined);
    throw new Error(`cannot connect to DATABASE_URL: ${error.message}`);
  });
  probe.release();
  return wrap(pool, pool);
}
