import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { isAbsolute, join, normalize, sep } from 'node:path';
import { writeFileAtomically } from '@cbmir/embedder';
import { UsageError } from '../usage-error.ts';

export const MANIFEST_FILE = 'manifest.json';
/** Where a backup keeps the data directory's files, under their data-directory-relative paths. */
export const FILES_DIR = 'files';
const FORMAT = 'cbmir-backup';
const VERSION = 1;

export interface BackupFileEntry {
  /** Relative to the data directory (and to the backup's files/ folder), with forward slashes. */
  path: string;
  bytes: number;
  sha256: string;
}

export interface BackupManifest {
  format: typeof FORMAT;
  version: typeof VERSION;
  createdAt: string;
  database: {
    kind: 'pglite' | 'postgres';
    /** The dump, beside the manifest: database.tar.gz (PGlite's data directory) or database.pgdump (pg_dump -Fc). */
    file: string;
    bytes: number;
    sha256: string;
    /** Rows per table, as dumped: checked again after a restore. */
    tables: Record<string, number>;
  };
  files: { count: number; bytes: number; entries: BackupFileEntry[] };
}

/** A backup that cannot be used or made as asked: a clear message and exit code 2. */
export class BackupError extends UsageError {
  constructor(message: string) {
    super(message);
    this.name = 'BackupError';
  }
}

/** SHA-256 and size of a file, streamed (originals and dumps may be large). */
export async function hashFile(path: string): Promise<{ sha256: string; bytes: number }> {
  const hash = createHash('sha256');
  let bytes = 0;
  for await (const chunk of createReadStream(path)) {
    hash.update(chunk as Buffer);
    bytes += (chunk as Buffer).length;
  }
  return { sha256: hash.digest('hex'), bytes };
}

/** Written last, atomically: a backup folder without its manifest is an incomplete backup. */
export async function writeManifest(dir: string, manifest: BackupManifest): Promise<void> {
  const path = join(dir, MANIFEST_FILE);
  await writeFileAtomically(path, `${JSON.stringify(manifest, null, 2)}\n`);
}

/** A relative path that stays inside the folder it is joined to (a manifest is input, so it is checked). */
function safeRelative(path: unknown): path is string {
  if (typeof path !== 'string' || path === '' || isAbsolute(path) || path.includes('\\')) return false;
  const normal = normalize(path);
  return normal === path && !normal.startsWith(`..${sep}`) && normal !== '..';
}

/** Reads and checks a manifest's shape; every problem is a BackupError that says what is wrong. */
export async function readManifest(dir: string): Promise<BackupManifest> {
  let text: string;
  try {
    text = await readFile(join(dir, MANIFEST_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      const exists = await stat(dir).catch(() => null);
      throw new BackupError(
        exists ? `${dir} has no ${MANIFEST_FILE}: not a cbmir backup, or an incomplete one (the manifest is written last)` : `${dir} does not exist`,
      );
    }
    throw error;
  }
  let manifest: BackupManifest;
  try {
    manifest = JSON.parse(text) as BackupManifest;
  } catch {
    throw new BackupError(`${join(dir, MANIFEST_FILE)} is not valid JSON: the backup is damaged`);
  }
  const problem = (what: string) => new BackupError(`${join(dir, MANIFEST_FILE)} is damaged: ${what}`);
  if (manifest?.format !== FORMAT) throw problem(`not a ${FORMAT} manifest`);
  if (manifest.version !== VERSION) throw new BackupError(`the backup's format version ${manifest.version} is not one this cbmir reads (${VERSION})`);
  const db = manifest.database;
  if (!db || !['pglite', 'postgres'].includes(db.kind) || !safeRelative(db.file) || !Number.isInteger(db.bytes) || typeof db.sha256 !== 'string') {
    throw problem('its database entry is incomplete');
  }
  if (!db.tables || typeof db.tables !== 'object') throw problem('its table counts are missing');
  const entries = manifest.files?.entries;
  if (!Array.isArray(entries) || entries.length !== manifest.files.count) throw problem('its file list does not match its file count');
  for (const entry of entries) {
    if (!safeRelative(entry?.path) || !Number.isInteger(entry.bytes) || typeof entry.sha256 !== 'string')
      throw problem(`bad file entry ${JSON.stringify(entry)}`);
  }
  return manifest;
}

/**
 * Checks the dump and every file against the manifest (present, same size, same SHA-256) before anything is
 * restored; a missing or damaged file is named.
 */
export async function verifyBackup(dir: string, manifest: BackupManifest): Promise<void> {
  const problems: string[] = [];
  const check = async (path: string, label: string, expected: { bytes: number; sha256: string }) => {
    const actual = await hashFile(path).catch((error: NodeJS.ErrnoException) => (error.code === 'ENOENT' ? null : Promise.reject(error)));
    if (!actual) problems.push(`${label} is missing`);
    else if (actual.bytes !== expected.bytes) problems.push(`${label} has ${actual.bytes} bytes, the manifest says ${expected.bytes} (cut short?)`);
    else if (actual.sha256 !== expected.sha256) problems.push(`${label} does not match its SHA-256 checksum`);
  };
  await check(join(dir, manifest.database.file), `the database dump ${manifest.database.file}`, manifest.database);
  for (const entry of manifest.files.entries) {
    await check(join(dir, FILES_DIR, entry.path), `${FILES_DIR}/${entry.path}`, entry);
    if (problems.length > 20) break;
  }
  if (problems.length > 0) {
    throw new BackupError(`the backup in ${dir} is damaged or incomplete; nothing was restored:\n  - ${problems.slice(0, 20).join('\n  - ')}`);
  }
}
