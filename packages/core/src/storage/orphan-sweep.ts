import type { FileStore } from './file-store.ts';
import { readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Database } from '@cbmir/db';

export interface SweepResult {
  /** Temporary files of interrupted writes (`*.partial`). */
  partials: number;
  /** Originals and thumbnails no stored image refers to (a rolled-back or cancelled batch). */
  orphans: number;
}

const SHA256_NAME = /^([0-9a-f]{64})\.\w+$/;

async function* filesUnder(dir: string): AsyncGenerator<string> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  for (const entry of entries) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* filesUnder(path);
    else if (entry.isFile()) yield path;
  }
}

/**
 * Removes what interrupted work leaves in the data directory: `*.partial` files (a kill or a full disk
 * between write and rename) and originals or thumbnails whose batch never committed (rolled back, killed,
 * cancelled). Images are content-addressed, so a file is kept whenever any stored image has its hash.
 * Only files older than `olderThanMs` are touched: a batch in flight (here or on another server sharing the
 * volume) writes its files before its transaction commits.
 */
export async function sweepOrphanFiles(deps: { db: Database; files: FileStore; olderThanMs: number; now?: () => number }): Promise<SweepResult> {
  const now = deps.now ?? Date.now;
  const result: SweepResult = { partials: 0, orphans: 0 };
  const old = async (path: string) => {
    const info = await stat(path).catch(() => null);
    return info !== null && now() - info.mtimeMs >= deps.olderThanMs;
  };

  let candidates: { path: string; sha256: string }[] = [];
  const flush = async () => {
    const stored = await deps.db.images.findBySha256Many([...new Set(candidates.map((c) => c.sha256))]);
    for (const { path, sha256 } of candidates) {
      if (stored.has(sha256)) continue;
      await rm(path, { force: true });
      result.orphans++;
    }
    candidates = [];
  };

  for (const area of ['images', 'uploads']) {
    for await (const path of filesUnder(deps.files.absolute(area))) {
      const name = path.slice(path.lastIndexOf('/') + 1);
      if (name.endsWith('.partial')) {
        if (await old(path)) {
          await rm(path, { force: true });
          result.partials++;
        }
        continue;
      }
      const sha256 = area === 'images' ? SHA256_NAME.exec(name)?.[1] : undefined;
      if (sha256 && (await old(path))) {
        candidates.push({ path, sha256 });
        if (candidates.length >= 1000) await flush();
      }
    }
  }
  if (candidates.length > 0) await flush();
  return result;
}
