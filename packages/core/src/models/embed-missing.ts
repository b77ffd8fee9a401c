import type { FileStore } from '../storage/file-store.ts';
import type { Logger } from '../logger.ts';
import { stat } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Database } from '@cbmir/db';
import { embedAllButRejected } from '../embedding/embed-all-but-rejected.ts';
import type { LoadedModel, ModelRuntime } from './model-runtime.ts';

/** Read errors that say nothing about the file (out of handles or memory, a busy device): never a mark. */
const TRANSIENT_READ_ERRORS = new Set(['EMFILE', 'ENFILE', 'EAGAIN', 'EBUSY', 'ENOMEM', 'EINTR']);

/**
 * Embeds the stored images that have no embedding under a model version yet: after a crash between
 * storing and embedding, and to build a version's index before it goes live. Returns how many it embedded.
 *
 * A stored image whose original cannot be read (deleted) or decoded (damaged) is marked unreadable with the
 * reason (images.markUnreadable), logged once, and left out from then on: one bad file never blocks a start
 * or an activation. A failing engine or database still throws: that is the server's problem, not the image's.
 */
export async function embedMissing(
  deps: { db: Database; files: FileStore; runtime: ModelRuntime; log: Logger },
  model: LoadedModel,
  options: { batchSize?: number; onProgress?: (embedded: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const { db, files, runtime, log } = deps;
  const batchSize = options.batchSize ?? 16;

  async function markUnreadable(id: string, reason: string): Promise<void> {
    if (await db.images.markUnreadable(id, reason)) {
      log.warn(`image ${id}: ${reason}; marked unreadable and left out of indexing (ingest the same file again to repair it)`);
    }
  }

  /** The original's bytes, or null when it is missing or cannot be read (the image is then marked). */
  async function readOriginal(id: string, originalPath: string): Promise<Uint8Array | null> {
    try {
      return await files.read(originalPath);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      // The server's problems, not the image's: no image is marked for those, nor for a missing image store
      // (a volume that is not mounted).
      if (code && TRANSIENT_READ_ERRORS.has(code)) throw error;
      const store = files.absolute(dirname(dirname(originalPath)));
      if (code === 'ENOENT' && !(await stat(store).catch(() => null))) {
        throw new Error(`the image store ${store} is missing (is CBMIR_DATA_DIR's volume mounted?)`);
      }
      await markUnreadable(
        id,
        code === 'ENOENT' ? `its original ${originalPath} is missing` : `its original ${originalPath} cannot be read (${(error as Error).message})`,
      );
      return null;
    }
  }

  let done = 0;
  while (!options.signal?.aborted) {
    const ids = await db.embeddings.imagesWithout(model.version, batchSize);
    if (ids.length === 0) break;
    const images = await db.images.findByIds(ids);
    const read = await Promise.all(
      ids.map(async (id) => {
        const image = images.get(id);
        const bytes = image ? await readOriginal(id, image.originalPath) : null;
        return image && bytes ? { id, path: image.originalPath, bytes } : null;
      }),
    );
    const embedded = await embedAllButRejected(
      runtime,
      model,
      read.filter((entry) => entry !== null),
      (entry) => entry.bytes,
      (entry, error) => markUnreadable(entry.id, `its original ${entry.path} does not decode (${error.message})`),
    );
    await db.embeddings.upsertMany(
      model.version,
      embedded.map(({ item, vector }) => ({ imageId: item.id, vector })),
    );
    done += embedded.length;
    options.onProgress?.(done);
  }
  return done;
}
