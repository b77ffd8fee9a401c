import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { writeFileAtomically } from '@cbmir/embedder';

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
    // Never a half-written file under the final name, nor a temporary file left by a failed write.
    await writeFileAtomically(path, bytes);
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
