import type { Database } from '@cbmir/db';
import type { FileStore } from '../storage/file-store.ts';
import type { LoadedModel, ModelRuntime } from './model-runtime.ts';

/**
 * Embeds the stored images that have no embedding under a model version yet: after a crash between
 * storing and embedding, and to build a version's index before it goes live. Returns how many it embedded.
 */
export async function embedMissing(
  deps: { db: Database; files: FileStore; runtime: ModelRuntime },
  model: LoadedModel,
  options: { batchSize?: number; onProgress?: (embedded: number) => void; signal?: AbortSignal } = {},
): Promise<number> {
  const { db, files, runtime } = deps;
  const batchSize = options.batchSize ?? 16;
  let done = 0;
  while (!options.signal?.aborted) {
    const ids = await db.embeddings.imagesWithout(model.version, batchSize);
    if (ids.length === 0) break;
    const images = await db.images.findByIds(ids);
    const bytes = await Promise.all(ids.map((id) => files.read(images.get(id)!.originalPath)));
    const vectors = await runtime.embedImages(bytes, model);
    await db.embeddings.upsertMany(model.version, ids.map((imageId, i) => ({ imageId, vector: vectors[i]! })));
    done += ids.length;
    options.onProgress?.(done);
  }
  return done;
}
