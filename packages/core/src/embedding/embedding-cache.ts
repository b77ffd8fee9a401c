import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

const HASH_BYTES = 32;

/**
 * Embeddings of evaluation images kept on disk under CBMIR_DATA_DIR/eval-cache, one file per (model,
 * layer): records of [SHA-256 of the image bytes (32 bytes) | dim float32], appended as they are computed.
 * A model version's weights and preprocessing never change, so an entry never goes stale; a torn last
 * record (the process was killed mid-write) is ignored on the next load.
 */
export async function openEmbeddingCache(dataDir: string, key: string, dim: number) {
  if (!/^[A-Za-z0-9._-]+$/.test(key)) throw new Error(`not a cache key: ${key}`);
  const dir = join(dataDir, 'eval-cache');
  const file = join(dir, `${key}.${dim}d.f32`);
  const record = HASH_BYTES + dim * 4;
  const entries = new Map<string, Float32Array>();
  const bytes = await readFile(file).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return null;
    throw error;
  });
  if (bytes) {
    for (let offset = 0; offset + record <= bytes.length; offset += record) {
      const hash = bytes.subarray(offset, offset + HASH_BYTES).toString('hex');
      const vector = new Float32Array(dim);
      new Uint8Array(vector.buffer).set(bytes.subarray(offset + HASH_BYTES, offset + record));
      entries.set(hash, vector);
    }
  }
  return {
    file,
    get size() {
      return entries.size;
    },
    get(sha256: string): Float32Array | undefined {
      return entries.get(sha256);
    },
    async add(items: { sha256: string; vector: Float32Array }[]): Promise<void> {
      if (items.length === 0) return;
      const out = Buffer.alloc(items.length * record);
      items.forEach((item, i) => {
        if (item.vector.length !== dim) throw new RangeError(`vector has ${item.vector.length} values, the cache holds ${dim}`);
        out.write(item.sha256, i * record, HASH_BYTES, 'hex');
        Buffer.from(item.vector.buffer, item.vector.byteOffset, dim * 4).copy(out, i * record + HASH_BYTES);
        entries.set(item.sha256, item.vector);
      });
      await mkdir(dir, { recursive: true });
      await appendFile(file, out);
    },
  };
}

export type EmbeddingCache = Awaited<ReturnType<typeof openEmbeddingCache>>;
