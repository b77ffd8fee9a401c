import type { Database, StoredImage } from '@cbmir/db';
import { notFound } from '../errors/domain-error.ts';

/** Where a stored case came from: the ingest job and the file in it, when a job added it. */
export interface ImageOrigin {
  jobId: string;
  fileName: string;
}

/**
 * The stored cases as a catalog: one case, a page of them, its patient's other images, where it came from.
 * Lists read the replicas (a moment behind is fine); a single case falls back to the primary.
 */
export function imageCatalogFactory(deps: { db: Database }) {
  const { db } = deps;
  return {
    /** A case by id (not-found otherwise): a replica first, the primary when the replica has not replayed it yet (opened right after upload). */
    async get(id: string): Promise<StoredImage> {
      const image = (await db.reads.images.findById(id)) ?? (await db.images.findById(id));
      if (!image) throw notFound('image');
      return image;
    },

    /** A page of cases, oldest first, optionally of one source, with how many there are in all. */
    async page(options: { source?: string | undefined; limit: number; offset: number }): Promise<{ images: StoredImage[]; total: number }> {
      const source = options.source;
      const [images, total] = await Promise.all([
        db.reads.images.list({ source, limit: options.limit, offset: options.offset }),
        db.reads.images.count({ source }),
      ]);
      return { images, total };
    },

    /** The ingest job and archive entry that added the case; null for cases added otherwise (demo, CLI before jobs). */
    origin(id: string): Promise<ImageOrigin | null> {
      return db.images.addedBy(id);
    },

    /** The other images of the case's patient, the other eye first, at most `limit`. */
    samePatient(id: string, limit: number): Promise<StoredImage[]> {
      return db.images.samePatient(id, limit);
    },

    /** How many cases are stored; rejects when the database cannot be reached. */
    count(): Promise<number> {
      return db.images.count();
    },
  };
}

export type ImageCatalog = ReturnType<typeof imageCatalogFactory>;
