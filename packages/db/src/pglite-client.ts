import { mkdirSync } from 'node:fs';
import { PGlite, type Transaction } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { lockDataDir } from './data-dir-lock.ts';
import type { SqlClient } from './sql-client.ts';

type Queryable = Pick<PGlite, 'query' | 'exec'> | Transaction;

function wrap(db: Queryable, root: PGlite | null, release: () => void = () => {}): SqlClient {
  return {
    kind: 'pglite',
    async query<Row>(sql: string, params: unknown[] = []) {
      const result = await db.query<Row>(sql, params);
      return result.rows;
    },
    async exec(sql: string) {
      await db.exec(sql);
    },
    async transaction<T>(fn: (tx: SqlClient) => Promise<T>) {
      // PGlite has one connection: a nested transaction() would deadlock, so reuse the open one.
      if (!root) return fn(wrap(db, null));
      return root.transaction((tx) => fn(wrap(tx, null)));
    },
    async close() {
      if (root && !root.closed) await root.close();
      release();
    },
    ...(root
      ? {
          async dumpDataDir() {
            await root.exec('CHECKPOINT');
            return new Uint8Array(await (await root.dumpDataDir('gzip')).arrayBuffer());
          },
        }
      : {}),
  };
}

/** Embedded PostgreSQL (PGlite) with pgvector, persisted in dataDir; in memory when dataDir is null. */
export async function openPglite(dataDir: string | null): Promise<SqlClient> {
  if (!dataDir) {
    const memory = await PGlite.create({ extensions: { vector } });
    return wrap(memory, memory);
  }
  mkdirSync(dataDir, { recursive: true });
  const release = lockDataDir(dataDir);
  try {
    const db = await PGlite.create(dataDir, { extensions: { vector } });
    return wrap(db, db, release);
  } catch (error) {
    release();
    throw error;
  }
}
