import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { ContentHashStream } from '@cbmir/imaging';

/**
 * Top-level entries of a data directory that a backup leaves out: the embedded database (dumped instead),
 * the preprocessed-image cache (rebuilt on demand), the embedded database's lock, and the first-start
 * secrets file (meant to be read once and deleted).
 */
const NOT_BACKED_UP = new Set(['db', 'cache', 'cbmir.lock', 'first-start-credentials.txt']);

/**
 * What cbmir itself keeps in a data directory: replaced by `restore --force`. Anything else found there is
 * the operator's and stays.
 */
export const MANAGED_ENTRIES = ['db', 'images', 'models', 'queries', 'uploads', 'cache', 'patient-ref.salt', 'first-start-credentials.txt', 'cbmir.lock'];

/** The data directory's files a backup holds, as forward-slash relative paths, sorted. Links and partial writes are skipped. */
export async function listBackupFiles(dataDir: string): Promise<string[]> {
  const out: string[] = [];
  async function walk(relative: string): Promise<void> {
    const entries = await readdir(join(dataDir, relative), { withFileTypes: true }).catch((error: NodeJS.ErrnoException) =>
      error.code === 'ENOENT' ? [] : Promise.reject(error),
    );
    for (const entry of entries) {
      const path = relative ? posix.join(relative, entry.name) : entry.name;
      if (!relative && NOT_BACKED_UP.has(entry.name)) continue;
      if (entry.name.endsWith('.partial')) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) out.push(path);
    }
  }
  await walk('');
  return out.sort();
}

/** Copies one file, hashing what was copied; null when the source vanished meanwhile (e.g. an orphan swept). */
export async function copyHashed(from: string, to: string): Promise<{ sha256: string; bytes: number } | null> {
  await mkdir(dirname(to), { recursive: true });
  const hashing = new ContentHashStream();
  try {
    await pipeline(createReadStream(from), hashing, createWriteStream(to));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      await rm(to, { force: true });
      return null;
    }
    throw error;
  }
  return hashing.result();
}
