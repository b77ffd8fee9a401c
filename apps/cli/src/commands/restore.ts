import { copyFile, mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Config } from '@cbmir/core';
import { countTables, lockDataDir, readEmbeddedDatabase, restoreEmbedded, restorePostgres, type DumpContents } from '@cbmir/db';
import { BackupError, FILES_DIR, readManifest, verifyBackup, type BackupManifest } from '../backup/backup-manifest.ts';
import { MANAGED_ENTRIES } from '../backup/data-dir-files.ts';

export interface RestoreOptions {
  config: Pick<Config, 'databaseUrl' | 'dataDir'>;
  dir: string;
  /** Replace a database and data directory that are not empty. */
  force: boolean;
  log: (message: string) => void;
}

/**
 * Restores a backup: the manifest and every checksum are verified before the target is touched; the target
 * must be empty unless `force`; after the restore the database's row counts must equal the manifest's.
 * The server must be stopped (the embedded database's lock says so; with PostgreSQL, stop it yourself).
 */
export async function restore(options: RestoreOptions): Promise<BackupManifest> {
  const { config, dir, force, log } = options;
  const manifest = await readManifest(dir);
  const kind = config.databaseUrl ? 'postgres' : 'pglite';
  if (manifest.database.kind !== kind) {
    throw new BackupError(
      manifest.database.kind === 'pglite'
        ? 'this is a backup of the embedded database: unset DATABASE_URL to restore it into CBMIR_DATA_DIR'
        : 'this is a backup of a PostgreSQL database: set DATABASE_URL to the (empty) database to restore it into',
    );
  }
  log(`verifying ${manifest.files.count + 1} checksums`);
  await verifyBackup(dir, manifest);

  const present = (await readdir(config.dataDir).catch(() => [] as string[])).filter((name) => name !== '.' && name !== '..');
  const tables = config.databaseUrl ? await countTables(config.databaseUrl) : 0;
  if (!force && (present.length > 0 || tables > 0)) {
    const problems = [
      present.length > 0 ? `the data directory ${config.dataDir} is not empty (${present.slice(0, 5).join(', ')}${present.length > 5 ? ', ...' : ''})` : null,
      tables > 0 ? `the database at DATABASE_URL holds ${tables} table(s)` : null,
    ].filter(Boolean);
    throw new BackupError(`${problems.join('; ')}: restore into an empty one, or pass --force to replace it`);
  }
  if (force) {
    // A running server holding the embedded database must not see its files replaced underneath it.
    if (!config.databaseUrl && present.includes('db')) lockDataDir(join(config.dataDir, 'db'))();
    for (const name of MANAGED_ENTRIES) await rm(join(config.dataDir, name), { recursive: true, force: true });
    const kept = (await readdir(config.dataDir).catch(() => [] as string[])).length;
    if (kept > 0) log(`--force: kept ${kept} entries of ${config.dataDir} that are not cbmir's`);
  }
  await mkdir(config.dataDir, { recursive: true });

  log(`restoring the database (${manifest.database.kind})`);
  let restored: DumpContents;
  if (config.databaseUrl) {
    restored = await restorePostgres(config.databaseUrl, join(dir, manifest.database.file), { replace: force });
  } else {
    const dbDir = join(config.dataDir, 'db');
    await restoreEmbedded(await readFile(join(dir, manifest.database.file)), dbDir);
    restored = await readEmbeddedDatabase(dbDir);
  }
  const differs = Object.entries(manifest.database.tables).filter(([table, n]) => restored.tables[table] !== n);
  if (differs.length > 0) {
    throw new BackupError(
      `the restored database does not hold what the backup does: ${differs.map(([t, n]) => `${t} ${restored.tables[t] ?? 'missing'} (expected ${n})`).join(', ')}`,
    );
  }

  log(`copying ${manifest.files.count} files into ${config.dataDir}`);
  for (const entry of manifest.files.entries) {
    const target = join(config.dataDir, entry.path);
    await mkdir(dirname(target), { recursive: true });
    await copyFile(join(dir, FILES_DIR, entry.path), target);
  }
  return manifest;
}

export function formatRestore(dir: string, config: Pick<Config, 'databaseUrl' | 'dataDir'>, manifest: BackupManifest): string {
  return [
    `restored the backup of ${manifest.createdAt} from ${dir}`,
    `  database (${manifest.database.kind}): ${Object.entries(manifest.database.tables)
      .map(([t, n]) => `${t} ${n}`)
      .join(', ')}`,
    `  files: ${manifest.files.count} into ${config.dataDir}`,
  ].join('\n');
}
