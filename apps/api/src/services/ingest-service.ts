import type { Database, Eye } from '@cbmir/db';
import { contentHash, decodeImage, ImageValidationError, makeThumbnail } from '@cbmir/imaging';
import type { FileStore } from '../storage/file-store.ts';
import type { ModelRuntime } from './model-runtime.ts';

export interface IngestItem {
  /** Name shown in reports: the file name in a folder or archive. */
  fileName: string;
  bytes: Uint8Array;
  grade?: number | null;
  eye?: Eye | null;
  patientRef?: string | null;
  source: string;
  metadata?: Record<string, unknown>;
}

export type IngestOutcome =
  | { fileName: string; status: 'added'; imageId: string }
  | { fileName: string; status: 'duplicate'; imageId: string }
  | { fileName: string; status: 'failed'; reason: string };

/**
 * Validates, deduplicates by content hash, stores original and thumbnail, and embeds with the active
 * model version. One bad image fails alone; the batch goes on. Re-ingesting the same bytes adds nothing.
 */
export function ingestServiceFactory(deps: { db: Database; files: FileStore; runtime: ModelRuntime }) {
  const { db, files, runtime } = deps;

  async function store(item: IngestItem): Promise<IngestOutcome & { embed?: Uint8Array }> {
    try {
      // Hash first: a re-run over images already stored costs a hash and a lookup each, not a decode.
      const sha256 = contentHash(item.bytes);
      const existing = await db.images.findBySha256(sha256);
      if (existing) return { fileName: item.fileName, status: 'duplicate', imageId: existing.id };
      const decoded = await decodeImage(item.bytes);
      const originalPath = files.originalPath(sha256, decoded.format);
      const thumbnailPath = files.thumbnailPath(sha256);
      await files.put(originalPath, item.bytes);
      await files.put(thumbnailPath, await makeThumbnail(item.bytes));
      const { image, inserted } = await db.images.insertOrGet({
        sha256,
        originalPath,
        thumbnailPath,
        format: decoded.format,
        width: decoded.width,
        height: decoded.height,
        eye: item.eye ?? null,
        grade: item.grade ?? null,
        patientRef: item.patientRef ?? null,
        source: item.source,
        metadata: { fileName: item.fileName, ...item.metadata },
      });
      if (!inserted) return { fileName: item.fileName, status: 'duplicate', imageId: image.id };
      return { fileName: item.fileName, status: 'added', imageId: image.id, embed: item.bytes };
    } catch (error: unknown) {
      if (error instanceof ImageValidationError) return { fileName: item.fileName, status: 'failed', reason: error.message };
      throw error;
    }
  }

  return {
    async ingestBatch(items: IngestItem[]): Promise<IngestOutcome[]> {
      const outcomes: (IngestOutcome & { embed?: Uint8Array })[] = [];
      for (const item of items) outcomes.push(await store(item));
      const toEmbed = outcomes.filter((o): o is IngestOutcome & { status: 'added'; embed: Uint8Array } => o.status === 'added' && !!o.embed);
      if (toEmbed.length > 0) {
        // Pin the model: an activation may switch the active one while this batch waits its turn.
        const model = runtime.active;
        if (!model) throw new Error('model runtime not started');
        const vectors = await runtime.embedImages(toEmbed.map((o) => o.embed), model);
        await db.embeddings.upsertMany(model.version, toEmbed.map((o, i) => ({ imageId: o.imageId, vector: vectors[i]! })));
      }
      return outcomes.map(({ embed: _embed, ...outcome }) => outcome);
    },
  };
}

export type IngestService = ReturnType<typeof ingestServiceFactory>;
