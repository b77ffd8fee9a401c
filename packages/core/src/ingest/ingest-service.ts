import type { FileStore } from '../storage/file-store.ts';
import { randomUUID } from 'node:crypto';
import type { Database, Eye, Repositories } from '@cbmir/db';
import {
  contentHash,
  decodeImage,
  generateSyntheticFundus,
  ImageValidationError,
  makeThumbnail,
  patientRefOf,
  unwrapDicom,
  type DecodedImage,
} from '@cbmir/imaging';
import { embedAllButRejected } from '../embedding/embed-all-but-rejected.ts';
import { EmbedderUnavailable } from '../embedding/embed-errors.ts';
import type { LoadedModel, ModelRuntime } from '../models/model-runtime.ts';

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

export interface NearDuplicate {
  imageId: string;
  distance: number;
}

export type IngestOutcome =
  | { fileName: string; status: 'added'; imageId: string; nearDuplicateOf?: NearDuplicate }
  | { fileName: string; status: 'duplicate'; imageId: string }
  | { fileName: string; status: 'failed'; reason: string; code?: string };

export interface IngestBatchOptions {
  /**
   * Runs inside the transaction that stores the batch's images and embeddings, with the outcomes: a job
   * records its progress here, so images and progress commit together or not at all. Throwing rolls the
   * batch back.
   */
  commit?: (tx: Repositories, outcomes: IngestOutcome[]) => Promise<void>;
  /** Overrides the service's near-duplicate distance for this batch (0: no check). */
  nearDuplicateDistance?: number;
}

/** An image that passed validation and waits to be embedded and inserted. */
interface Fresh {
  slot: number;
  id: string;
  sha256: string;
  item: IngestItem;
  decoded: DecodedImage;
  originalPath: string;
  thumbnailPath: string;
  vector?: Float32Array;
  nearDuplicateOf?: NearDuplicate;
  /** The same content is stored already, but its original was found unreadable: this stores it again. */
  repairs?: boolean;
}

/** How many images are decoded and thumbnailed at once (sharp works on libuv's thread pool). */
const DECODE_CONCURRENCY = 4;

async function mapLimited<T, R>(items: T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  });
  await Promise.all(workers);
  return results;
}

function l2(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

const failed = (fileName: string, error: unknown): IngestOutcome => ({
  fileName,
  status: 'failed',
  reason: error instanceof Error ? error.message : String(error),
  code: error instanceof ImageValidationError ? error.code : 'embed_failed',
});

/**
 * The one ingest pipeline: decode and validate, deduplicate by content hash, store original and thumbnail,
 * preprocess and embed with the active model (pinned for the batch), flag near-duplicates, and insert
 * images and embeddings in one transaction. One bad image fails alone; the batch goes on. Re-ingesting the
 * same bytes adds nothing (but stores the original again where it was found unreadable, and clears the mark).
 */
export function ingestServiceFactory(deps: { db: Database; files: FileStore; runtime: ModelRuntime; nearDuplicateDistance?: number; patientSalt?: string }) {
  const { db, files, runtime } = deps;

  /**
   * Decodes once (at the working size of the model's preprocessing, whose disc radius `scaleRadius` is) and
   * stores the files (content-addressed, so a repeat after a crash rewrites the same ones). The thumbnail and
   * the preprocessing use the decoded pixels; the file is not decoded again.
   */
  async function validateAndStore(slot: number, sha256: string, item: IngestItem, scaleRadius: number | undefined): Promise<Fresh | IngestOutcome> {
    try {
      // A DICOM file becomes its image (stored instead of the file, so no name or birth date is kept), its eye
      // and a salted hash of its Patient ID, unless labels say otherwise; its hash stays the file's, for dedup.
      const { bytes, dicom } = await unwrapDicom(item.bytes);
      if (dicom) {
        const patientRef = dicom.patientId && deps.patientSalt ? patientRefOf(dicom.patientId, deps.patientSalt) : null;
        item = {
          ...item,
          bytes,
          eye: item.eye ?? dicom.eye,
          patientRef: item.patientRef ?? patientRef,
          metadata: { ...item.metadata, dicom: { transferSyntax: dicom.transferSyntax } },
        };
      }
      const decoded = await decodeImage(item.bytes, { scaleRadius });
      const originalPath = files.originalPath(sha256, decoded.format);
      const thumbnailPath = files.thumbnailPath(sha256);
      await files.put(originalPath, item.bytes);
      await files.put(thumbnailPath, await makeThumbnail(decoded));
      return { slot, id: randomUUID(), sha256, item, decoded, originalPath, thumbnailPath };
    } catch (error: unknown) {
      if (error instanceof ImageValidationError) return failed(item.fileName, error);
      throw error;
    }
  }

  let probeImage: Promise<Uint8Array> | null = null;

  /** Does the embedder work at all? Embeds a synthetic image that is known to be good. */
  async function embedderWorks(model: LoadedModel): Promise<boolean> {
    probeImage ??= generateSyntheticFundus({ seed: 1, grade: 0, size: 128 });
    try {
      await runtime.embedImages([await probeImage], model);
      return true;
    } catch {
      return false; // the caller reports the batch's own error, which this one repeats
    }
  }

  /**
   * Embeds a batch in one call. What the embedder throws decides who pays for a failure:
   * - a RejectedImage (preprocessing refuses that image): that image fails alone, the rest goes on as a batch;
   * - EmbedderUnavailable (the engine failed, e.g. its worker died): nothing is wrong with the images, so the
   *   batch fails with that reason (the job worker logs it once and retries the job later);
   * - anything else: a known-good image is embedded first; when that fails too the embedder is the problem
   *   (EmbedderUnavailable), else the batch is embedded image by image so that the image it cannot take
   *   fails alone.
   */
  async function embed(fresh: Fresh[], model: LoadedModel, outcomes: (IngestOutcome | undefined)[]): Promise<Fresh[]> {
    try {
      const embedded = await embedAllButRejected(
        runtime,
        model,
        fresh,
        (f) => f.decoded,
        (f, error) => {
          outcomes[f.slot] = failed(f.item.fileName, error);
        },
      );
      for (const { item, vector } of embedded) item.vector = vector;
      return embedded.map(({ item }) => item);
    } catch (error) {
      // The images it refused have their outcome already.
      return embedOneByOne(
        fresh.filter((f) => outcomes[f.slot] === undefined),
        model,
        outcomes,
        error,
      );
    }
  }

  async function embedOneByOne(fresh: Fresh[], model: LoadedModel, outcomes: (IngestOutcome | undefined)[], batchError: unknown): Promise<Fresh[]> {
    if (batchError instanceof EmbedderUnavailable) throw batchError;
    if (!(await embedderWorks(model))) throw EmbedderUnavailable.from(batchError);
    const embedded: Fresh[] = [];
    for (const f of fresh) {
      try {
        f.vector = (await runtime.embedImages([f.decoded], model))[0]!;
        embedded.push(f);
      } catch (error) {
        if (error instanceof EmbedderUnavailable) throw error;
        outcomes[f.slot] = failed(f.item.fileName, error);
      }
    }
    return embedded;
  }

  /** Nearest stored image (through the version's index), and earlier images of this same batch. */
  async function flagNearDuplicates(fresh: Fresh[], model: LoadedModel, threshold: number): Promise<void> {
    for (let i = 0; i < fresh.length; i++) {
      const f = fresh[i]!;
      let best: NearDuplicate | null = (await db.embeddings.nearest(model.version, f.vector!, 1))[0] ?? null;
      for (const earlier of fresh.slice(0, i)) {
        const distance = l2(f.vector!, earlier.vector!);
        if (!best || distance < best.distance) best = { imageId: earlier.id, distance };
      }
      if (best && best.distance <= threshold) f.nearDuplicateOf = best;
    }
  }

  return {
    async ingestBatch(items: IngestItem[], options: IngestBatchOptions = {}): Promise<IngestOutcome[]> {
      const threshold = options.nearDuplicateDistance ?? deps.nearDuplicateDistance ?? 0;
      const outcomes: (IngestOutcome | undefined)[] = new Array(items.length);
      // Hash first: a re-run over images already stored costs a hash and a lookup each, not a decode.
      const firstSlotBySha = new Map<string, number>();
      const pending: { slot: number; sha256: string; unreadableId?: string }[] = [];
      for (const [slot, item] of items.entries()) {
        const sha256 = contentHash(item.bytes);
        if (firstSlotBySha.has(sha256)) continue; // a copy of an earlier file of this batch: resolved below
        firstSlotBySha.set(sha256, slot);
        const existing = await db.images.findBySha256(sha256);
        // A stored image whose original was found unreadable (embedMissing) is stored again from these bytes.
        if (existing?.unreadableReason) pending.push({ slot, sha256, unreadableId: existing.id });
        else if (existing) outcomes[slot] = { fileName: item.fileName, status: 'duplicate', imageId: existing.id };
        else pending.push({ slot, sha256 });
      }
      // Pin the model: an activation may switch the active one while this batch waits its turn.
      const model = runtime.active;
      const scaleRadius = model?.preprocessing.scaleRadius;
      const validated = await mapLimited(pending, DECODE_CONCURRENCY, ({ slot, sha256 }) => validateAndStore(slot, sha256, items[slot]!, scaleRadius));
      let fresh: Fresh[] = [];
      for (const [i, result] of validated.entries()) {
        const { slot, unreadableId } = pending[i]!;
        if ('status' in result) outcomes[slot] = result;
        else fresh.push(unreadableId ? { ...result, id: unreadableId, repairs: true } : result);
      }

      if (fresh.length > 0) {
        if (!model) throw new Error('model runtime not started');
        fresh = await embed(fresh, model, outcomes);
        if (threshold > 0) await flagNearDuplicates(fresh, model, threshold);
      }

      await db.transaction(async (tx) => {
        const images = tx.images;
        const rows: { imageId: string; vector: Float32Array }[] = [];
        for (const f of fresh) {
          if (f.repairs) {
            await images.clearUnreadable(f.id);
            rows.push({ imageId: f.id, vector: f.vector! });
            outcomes[f.slot] = { fileName: f.item.fileName, status: 'duplicate', imageId: f.id };
            continue;
          }
          const { image, inserted } = await images.insertOrGet({
            id: f.id,
            sha256: f.sha256,
            originalPath: f.originalPath,
            thumbnailPath: f.thumbnailPath,
            format: f.decoded.format,
            width: f.decoded.width,
            height: f.decoded.height,
            eye: f.item.eye ?? null,
            grade: f.item.grade ?? null,
            patientRef: f.item.patientRef ?? null,
            source: f.item.source,
            metadata: { fileName: f.item.fileName, ...f.item.metadata, ...(f.nearDuplicateOf ? { nearDuplicateOf: f.nearDuplicateOf } : {}) },
          });
          if (inserted) {
            rows.push({ imageId: image.id, vector: f.vector! });
            outcomes[f.slot] = {
              fileName: f.item.fileName,
              status: 'added',
              imageId: image.id,
              ...(f.nearDuplicateOf ? { nearDuplicateOf: f.nearDuplicateOf } : {}),
            };
          } else {
            // Someone else stored the same bytes meanwhile (another upload, another replica).
            outcomes[f.slot] = { fileName: f.item.fileName, status: 'duplicate', imageId: image.id };
          }
        }
        if (rows.length > 0) await tx.embeddings.upsertMany(model!.version, rows);
        // Copies of a file earlier in this batch share its fate.
        for (const [slot, item] of items.entries()) {
          if (outcomes[slot]) continue;
          const first = outcomes[firstSlotBySha.get(contentHash(item.bytes))!]!;
          outcomes[slot] =
            first.status === 'failed' ? { ...first, fileName: item.fileName } : { fileName: item.fileName, status: 'duplicate', imageId: first.imageId };
        }
        await options.commit?.(tx, outcomes as IngestOutcome[]);
      });
      return outcomes as IngestOutcome[];
    },
  };
}

export type IngestService = ReturnType<typeof ingestServiceFactory>;
