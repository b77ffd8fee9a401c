import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync } from 'node:fs';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import type { SqlClient } from './sql-client.ts';

/** What a database dump holds, read in the dump's own snapshot: rows per table and the files its rows name. */
export interface DumpContents {
  /** Rows per table of the public schema. */
  tables: Record<string, number>;
  /** Data-directory-relative paths of the files the rows reference (originals, thumbnails, model directories). */
  referencedPaths: string[];
}

/** A dump or restore that cannot be done, for a reason the operator can act on (the CLI's exit code 2). */
export class DatabaseBackupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DatabaseBackupError';
  }
}

type Query = <Row>(sql: string) => Promise<Row[]>;

async function readContents(query: Query): Promise<DumpContents> {
  const names = await query<{ name: string }>(
    `SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1`,
  );
  const tables: Record<string, number> = {};
  for (const { name } of names) {
    const rows = await query<{ n: number }>(`SELECT count(*)::int AS n FROM "${name.replaceAll('"', '""')}"`);
    tables[name] = Number(rows[0]?.n ?? 0);
  }
  const referencedPaths: string[] = [];
  if ('images' in tables) {
    for (const row of await query<{ original_path: string; thumbnail_path: string }>(`SELECT original_path, thumbnail_path FROM images`)) {
      referencedPaths.push(row.original_path, row.thumbnail_path);
    }
  }
  if ('model_versions' in tables) {
    // A registered model's directory; the seeded untrained one keeps only its ONNX export in models/<id>.
    for (const row of await query<{ path: string }>(`SELECT COALESCE(weights_path, 'models/' || id::text) AS path FROM model_versions`)) {
      referencedPaths.push(row.path);
    }
  }
  return { tables, referencedPaths: [...new Set(referencedPaths)].sort() };
}

/** The embedded database's dump (gzipped tar of its data directory) and what it holds, read from the dump itself. */
export async function dumpEmbedded(sql: SqlClient): Promise<Uint8Array> {
  if (!sql.dumpDataDir) throw new DatabaseBackupError('this database is not the embedded one: back it up with pg_dump');
  return sql.dumpDataDir();
}

/** Opens a PGlite dump in memory (nothing is written) and reads what it holds; a dump that does not load is refused. */
export async function readEmbeddedDump(dump: Uint8Array): Promise<DumpContents> {
  let db: PGlite;
  try {
    db = await PGlite.create({ loadDataDir: new Blob([new Uint8Array(dump)]), extensions: { vector } });
  } catch (error) {
    throw new DatabaseBackupError(`the embedded database dump cannot be loaded: ${(error as Error).message}`);
  }
  try {
    return await readContents(async (text) => (await db.query(text)).rows as never);
  } finally {
    await db.close();
  }
}

/** Writes a PGlite dump as the embedded database in `dbDir` (which must not hold one). */
export async function restoreEmbedded(dump: Uint8Array, dbDir: string): Promise<void> {
  if (existsSync(dbDir) && readdirSync(dbDir).length > 0) throw new DatabaseBackupError(`${dbDir} already holds a database`);
  mkdirSync(dbDir, { recursive: true });
  const release = lockDataDir(dbDir);
  try {
    const db = await PGlite.create(dbDir, { loadDataDir: new Blob([new Uint8Array(dump)]), extensions: { vector } });
    await db.close();
  } finally {
    release();
  }
}

/** pg_dump / pg_restore: from PG_BIN (CBMIR_PG_BIN) when set, else the PATH. */
function pgTool(name: 'pg_dump' | 'pg_restore'): string {
  const dir = process.env.CBMIR_PG_BIN;
  return dir ? `${dir.replace(/\/$/, '')}/${name}` : name;
}

function run(command: string, args: string[]): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr = (stderr + chunk.toString('utf8')).slice(-4000)));
    child.on('error', (error: NodeJS.ErrnoException) =>
      reject(
        new DatabaseBackupError(
          error.code === 'ENOENT'
            ? `${command} was not found: install the PostgreSQL client tools (same major version as the server) or set CBMIR_PG_BIN`
            : error.message,
        ),
      ),
    );
    child.on('close', (code) => (code === 0 ? resolve() : reject(new DatabaseBackupError(`${command} failed (exit ${code}): ${stderr.trim()}`))));
  });
}

/**
 * pg_dump (custom format) of a PostgreSQL database, consistent with the contents it returns: both are read in
 * one REPEATABLE READ snapshot, exported to pg_dump (--snapshot), so a server writing meanwhile changes neither.
 */
export async function dumpPostgres(databaseUrl: string, outFile: string): Promise<DumpContents> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query('BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
    const snapshot = (await client.query<{ id: string }>('SELECT pg_export_snapshot() AS id')).rows[0]!.id;
    const contents = await readContents(async (text) => (await client.query(text)).rows as never);
    await run(pgTool('pg_dump'), [
      '--format=custom',
      '--no-owner',
      '--no-privileges',
      `--snapshot=${snapshot}`,
      `--file=${outFile}`,
      `--dbname=${databaseUrl}`,
    ]);
    await client.query('COMMIT');
    return contents;
  } finally {
    await client.end();
  }
}

/** Tables in the database's public schema (0: an empty database, safe to restore into). */
export async function countTables(databaseUrl: string): Promise<number> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const rows = await client.query<{ n: number }>(`SELECT count(*)::int AS n FROM information_schema.tables WHERE table_schema = 'public'`);
    return Number(rows.rows[0]?.n ?? 0);
  } finally {
    await client.end();
  }
}

/**
 * pg_restore of a dumpPostgres file into a database. `replace` first drops everything in the public schema
 * (the caller has checked --force); otherwise the database must hold no table. Returns what it then holds.
 */
export async function restorePostgres(databaseUrl: string, dumpFile: string, options: { replace: boolean }): Promise<DumpContents> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    if (options.replace) {
      await client.query('DROP SCHEMA IF EXISTS public CASCADE; CREATE SCHEMA public');
    } else if ((await countTables(databaseUrl)) > 0) {
      throw new DatabaseBackupError('the target database is not empty (use --force to replace what it holds)');
    }
    await run(pgTool('pg_restore'), ['--no-owner', '--no-privileges', '--exit-on-error', `--dbname=${databaseUrl}`, dumpFile]);
    return await readContents(async (text) => (await client.query(text)).rows as never);
  } finally {
    await client.end();
  }
}

/** What the restored embedded database in `dbDir` holds (opened and closed again). */
export async function readEmbeddedDatabase(dbDir: string): Promise<DumpContents> {
  const release = lockDataDir(dbDir);
  try {
    const db = await PGlite.create(dbDir, { extensions: { vector } });
    try {
      return await readContents(async (text) => (await db.query(text)).rows as never);
    } finally {
      await db.close();
    }
  } finally {
    release();
  }
}
