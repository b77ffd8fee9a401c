import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiErrorOf, routePath, routes } from '@cbmir/contract';
import type { Config } from '@cbmir/core';
import { DataDirInUseError, dumpEmbedded, dumpPostgres, openPglite, readEmbeddedDump, type DumpContents } from '@cbmir/db';
import { BackupError, FILES_DIR, hashFile, writeManifest, type BackupFileEntry, type BackupManifest } from '../backup/backup-manifest.ts';
import { copyHashed, listBackupFiles } from '../backup/data-dir-files.ts';

export const BACKUP_USAGE = `  backup <dir> [--server http://127.0.0.1:8080] [--api-key-file F]
      Back up the database and the data directory's files (originals, thumbnails, models) into <dir> (new or
      empty), with a manifest of row counts and SHA-256 checksums, while the server runs. PostgreSQL: pg_dump
      (CBMIR_PG_BIN: where pg_dump lives, if not on the PATH). Embedded database: read directly when no server
      holds it, else fetched from the running server (--server; an admin API key in CBMIR_API_KEY or --api-key-file).
  restore <dir> [--force]
      Restore a backup into CBMIR_DATA_DIR (and DATABASE_URL's database), which must be empty unless --force
      (which replaces the database and what cbmir keeps in the data directory). Every checksum is verified first.`;

export interface BackupOptions {
  config: Pick<Config, 'databaseUrl' | 'dataDir' | 'port'>;
  dir: string;
  /** The running server that holds the embedded database (default http://127.0.0.1:PORT). */
  serverUrl?: string | undefined;
  /** An admin API key for that server (default CBMIR_API_KEY). */
  apiKey?: string | undefined;
  log: (message: string) => void;
}

export interface BackupResult {
  manifest: BackupManifest;
  /** How the database was dumped. */
  via: 'pg_dump' | 'embedded' | 'server';
}

/**
 * The database is dumped first, in one snapshot; then the files are copied. Files are content-addressed and
 * written before the rows that name them are committed, and never rewritten, so every file a dumped row
 * names is already on disk when the copy starts. Rows committed later may add files the dump does not name:
 * harmless extras, swept as orphans after a restore. A named file missing afterwards is an error.
 */
export async function backup(options: BackupOptions): Promise<BackupResult> {
  const { config, dir, log } = options;
  await mkdir(dir, { recursive: true });
  if ((await readdir(dir)).length > 0) throw new BackupError(`${dir} is not empty: back up into a new or empty folder`);

  let database: { kind: 'pglite' | 'postgres'; file: string; contents: DumpContents };
  let via: BackupResult['via'];
  if (config.databaseUrl) {
    log('dumping the PostgreSQL database (pg_dump, one snapshot)');
    const file = 'database.pgdump';
    database = { kind: 'postgres', file, contents: await dumpPostgres(config.databaseUrl, join(dir, file)) };
    via = 'pg_dump';
  } else {
    const embedded = await dumpEmbeddedDatabase(options);
    via = embedded.via;
    const file = 'database.tar.gz';
    await writeFile(join(dir, file), embedded.dump);
    // Loading the dump proves it is whole, and tells which files its rows name.
    database = { kind: 'pglite', file, contents: await readEmbeddedDump(embedded.dump) };
  }
  const dumped = await hashFile(join(dir, database.file));
  log(
    `database dumped (${via}): ${Object.entries(database.contents.tables)
      .map(([t, n]) => `${n} ${t}`)
      .join(', ')}`,
  );

  const paths = await listBackupFiles(config.dataDir);
  log(`copying ${paths.length} files from ${config.dataDir}`);
  const entries: BackupFileEntry[] = [];
  for (const path of paths) {
    const copied = await copyHashed(join(config.dataDir, path), join(dir, FILES_DIR, path));
    if (copied) entries.push({ path, ...copied });
  }
  const copied = new Set(entries.map((e) => e.path));
  // A model version names its directory: any file under it counts.
  for (const entry of entries) for (let i = entry.path.lastIndexOf('/'); i > 0; i = entry.path.lastIndexOf('/', i - 1)) copied.add(entry.path.slice(0, i));
  const missing = database.contents.referencedPaths.filter((path) => !copied.has(path));
  const missingImages = missing.filter((path) => path.startsWith('images/'));
  if (missingImages.length > 0) {
    throw new BackupError(
      `the database names ${missingImages.length} image file(s) that are not in ${config.dataDir} (first: ${missingImages[0]}); ` +
        `the backup in ${dir} is incomplete and has no manifest`,
    );
  }
  for (const path of missing) log(`warning: ${path} (a model version's files) is not in the data directory`);

  const manifest: BackupManifest = {
    format: 'cbmir-backup',
    version: 1,
    createdAt: new Date().toISOString(),
    database: { kind: database.kind, file: database.file, ...dumped, tables: database.contents.tables },
    files: { count: entries.length, bytes: entries.reduce((sum, e) => sum + e.bytes, 0), entries },
  };
  await writeManifest(dir, manifest);
  return { manifest, via };
}

async function dumpEmbeddedDatabase(options: BackupOptions): Promise<{ dump: Uint8Array; via: 'embedded' | 'server' }> {
  const dbDir = join(options.config.dataDir, 'db');
  if (!existsSync(join(dbDir, 'PG_VERSION')))
    throw new BackupError(`there is no embedded database in ${options.config.dataDir} (set CBMIR_DATA_DIR, or DATABASE_URL for PostgreSQL)`);
  let sql;
  try {
    sql = await openPglite(dbDir);
  } catch (error) {
    if (!(error instanceof DataDirInUseError)) throw error;
    return { dump: await fetchFromServer(options), via: 'server' };
  }
  try {
    options.log(`dumping the embedded database in ${dbDir}`);
    return { dump: await dumpEmbedded(sql), via: 'embedded' };
  } finally {
    await sql.close();
  }
}

/** The running server holds the embedded database: it dumps it between two statements and sends it. */
async function fetchFromServer(options: BackupOptions): Promise<Uint8Array> {
  const url = (options.serverUrl ?? `http://127.0.0.1:${options.config.port}`).replace(/\/$/, '');
  const key = options.apiKey ?? process.env.CBMIR_API_KEY;
  if (!key) {
    throw new BackupError(
      `the embedded database is in use by a running server: give an admin API key (CBMIR_API_KEY or --api-key-file) so that ${url} can dump it, or stop the server`,
    );
  }
  options.log(`the embedded database is in use by the server: asking ${url} for a dump`);
  let response: Response;
  try {
    response = await fetch(`${url}${routePath(routes.backupDatabase)}`, { headers: { authorization: `Bearer ${key}` } });
  } catch (error) {
    throw new BackupError(`the embedded database is in use, but no server answers at ${url} (--server): ${(error as Error).message}`);
  }
  if (response.status !== 200) {
    throw new BackupError(`the server at ${url} refused the dump: ${response.status} ${apiErrorOf(response.status, await response.text()).message}`);
  }
  return new Uint8Array(await response.arrayBuffer());
}

export async function readApiKeyFile(path: string): Promise<string> {
  const key = (await readFile(path, 'utf8').catch(() => Promise.reject(new BackupError(`cannot read the API key file ${path}`)))).trim();
  if (!key) throw new BackupError(`the API key file ${path} is empty`);
  return key;
}

export function formatBackup(dir: string, result: BackupResult): string {
  const m = result.manifest;
  const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;
  return [
    `backup written to ${dir}`,
    `  database (${m.database.kind}, ${result.via}): ${m.database.file}, ${mb(m.database.bytes)}; ${Object.entries(m.database.tables)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
    `  files: ${m.files.count}, ${mb(m.files.bytes)}`,
  ].join('\n');
}
