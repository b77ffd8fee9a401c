import type { Database } from '@cbmir/db';
import { type FundusPreprocessing, preprocessFundus } from '@cbmir/imaging';
import { openEmbeddingCache } from '../embedding/embedding-cache.ts';
import type { EmbeddingSource, EvaluationImage } from './evaluation-service.ts';

/** Preprocessed inputs kept in memory, up to a budget, for the other sources of the same run. */
export interface PreprocessedMemo {
  entries: Map<string, Float32Array>;
  bytes: number;
  budget: number;
}

/**
 * For one `cbmir eval` run: Table 1 reads several layers of one model, and the preprocessing of each
 * picture (15-36 ms on one core for a 256 px photograph; the bulk of the time with a small network) then happens once. 1 GiB holds 4,720 pictures
 * at 128 px; past the budget pictures are simply preprocessed again.
 */
export function createPreprocessedMemo(budget = 1024 ** 3): PreprocessedMemo {
  return { entries: new Map(), bytes: 0, budget };
}

const EMBED_BATCH = 32;

/**
 * The vectors of a source for evaluation images: a registered version's own output from the database where
 * stored, else from the source's on-disk cache, else embedded (read, preprocessed and embedded batch by
 * batch). A picture that cannot be read or preprocessed is reported and left out (null).
 */
export async function evaluationVectors(
  deps: { db: Database; dataDir: string },
  source: EmbeddingSource,
  images: EvaluationImage[],
  memo: PreprocessedMemo | undefined,
  onProgress?: (done: number, total: number) => void,
): Promise<{
  vectors: (Float32Array | null)[];
  imageIds: (string | null)[];
  fromDatabase: number;
  fromCache: number;
  computed: number;
  failed: { sha256: string; reason: string }[];
}> {
  const stored = await deps.db.images.findBySha256Many(images.map((image) => image.sha256));
  const imageIds = images.map((image) => stored.get(image.sha256)?.id ?? null);
  const vectors: (Float32Array | null)[] = images.map(() => null);
  let fromDatabase = 0;
  if (source.version && source.layer === null) {
    const ids = imageIds.filter((id): id is string => id !== null);
    const embeddings = await deps.db.embeddings.findMany(source.version, ids);
    imageIds.forEach((id, i) => {
      const vector = id === null ? undefined : embeddings.get(id);
      if (vector) {
        vectors[i] = Float32Array.from(vector);
        fromDatabase++;
      }
    });
  }
  const cache = await openEmbeddingCache(deps.dataDir, source.cacheKey, source.dimensions);
  let fromCache = 0;
  images.forEach((image, i) => {
    if (vectors[i]) return;
    const cached = cache.get(image.sha256);
    if (cached) {
      vectors[i] = cached;
      fromCache++;
    }
  });
  const missing = images.map((_, i) => i).filter((i) => !vectors[i]);
  const failed: { sha256: string; reason: string }[] = [];
  let computed = 0;
  /** Reads and preprocesses one batch; one bad picture must not sink it: it is reported and left out. */
  const prepare = async (batch: number[]) => {
    const bytes = await Promise.all(batch.map((i) => images[i]!.read()));
    return Promise.all(
      batch.map((i, j) =>
        preprocessed(images[i]!.sha256, bytes[j]!, source.preprocessing, memo).catch((error: Error) => {
          failed.push({ sha256: images[i]!.sha256, reason: error.message });
          return null;
        }),
      ),
    );
  };
  for (let start = 0; start < missing.length; start += EMBED_BATCH) {
    const batch = missing.slice(start, start + EMBED_BATCH);
    // Preparing the next batch while this one is embedded was measured no faster on 2 cores (500 dev photos,
    // ResNet-50: 27.4 / 28.3 s against 26.8 / 26.1 s): the engine already keeps both busy.
    const inputs = await prepare(batch);
    const ok = inputs.map((input, j) => (input ? j : -1)).filter((j) => j >= 0);
    const out = await source.embedder.embed(ok.map((j) => inputs[j]!));
    const embedded: (Float32Array | null)[] = inputs.map(() => null);
    ok.forEach((j, x) => (embedded[j] = out[x]!));
    const fresh: { sha256: string; vector: Float32Array }[] = [];
    batch.forEach((i, j) => {
      const vector = embedded[j];
      if (!vector) return;
      vectors[i] = vector;
      fresh.push({ sha256: images[i]!.sha256, vector });
    });
    computed += fresh.length;
    await cache.add(fresh);
    onProgress?.(Math.min(start + EMBED_BATCH, missing.length), missing.length);
  }
  return { vectors, imageIds, fromDatabase, fromCache, computed, failed };
}

async function preprocessed(sha256: string, bytes: Uint8Array, params: FundusPreprocessing, memo: PreprocessedMemo | undefined): Promise<Float32Array> {
  const key = `${JSON.stringify(params)}:${sha256}`;
  const hit = memo?.entries.get(key);
  if (hit) return hit;
  const { data } = await preprocessFundus(bytes, params);
  if (memo && memo.bytes + data.byteLength <= memo.budget) {
    memo.entries.set(key, data);
    memo.bytes += data.byteLength;
  }
  return data;
}
