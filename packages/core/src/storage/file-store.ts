import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';

/**
 * Originals and thumbnails on disk, addressed by content hash (images/originals/ab/abcdef....jpeg).
 * Paths stored in the database are relative to the data directory, so a data directory can be moved.
 */
export function fileStoreFactory({ dataDir }: { dataDir: string }) {
  const root = resolve(dataDir);

  function absolute(relativePath: string): string {
    const path = resolve(root, relativePath);
    // Stored paths come from our own writes, but never follow one out of the data directory.
    if (path !== root && !path.startsWith(root + sep)) throw new Error(`path escapes the data directory: ${relativePath}`);
    return path;
  }

  async function put(relativePath: string, bytes: Uint8Array): Promise<void> {
    const path = absolute(relativePath);
    await mkdir(dirname(path), { recursive: true });
    // Write then rename, so a crash never leaves a half-written file under the final name. The temporary name
    // is this write's own: two writes of one path at once (the same thumbnail asked for twice) must not share it.
    const partial = `${path}.${process.pid}.${randomUUID().slice(0, 8)}.partial`;
    try {
      await writeFile(partial, bytes);
      await rename(partial, path);
    } catch (error) {
      // A full disk must not stay fuller until the next orphan sweep: this write's own temporary file goes now.
      await rm(partial, { force: true });
      throw error;
    }
  }

  return {
    root,
    originalPath: (sha256: string, format: string) => join('images', 'originals', sha256.slice(0, 2), `${sha256}.${format}`),
    thumbnailPath: (sha256: string) => join('images', 'thumbnails', sha256.slice(0, 2), `${sha256}.jpg`),
    /** Search queries ("My searches"), apart from the archive's images: never indexed, never swept as orphans. */
    queryPath: (sha256: string, format: string) => join('queries', 'originals', sha256.slice(0, 2), `${sha256}.${format}`),
    queryThumbnailPath: (sha256: string) => join('queries', 'thumbnails', sha256.slice(0, 2), `${sha256}.jpg`),
    put,
    read: (relativePath: string) => readFile(absolute(relativePath)),
    absolute,
    relative: (path: string) => relative(root, path),
  };
}

export type FileStore = ReturnType<typeof fileStoreFactory>;
