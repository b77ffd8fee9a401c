import { createHash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';

/**
 * SHA-256 of the exact uploaded bytes, as lowercase hex. It identifies an upload for de-duplication
 * and as a storage key; it is deliberately not a perceptual hash, so a re-encoded copy is a new image.
 */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A pass-through stream that takes the content hash of what flows through it, and counts its bytes. */
export class ContentHashStream extends Transform {
  readonly #hash = createHash('sha256');
  #bytes = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#hash.update(chunk);
    this.#bytes += chunk.length;
    callback(null, chunk);
  }

  /** contentHash of every byte that went through, and their count: read once, after the stream has ended. */
  result(): { sha256: string; bytes: number } {
    return { sha256: this.#hash.digest('hex'), bytes: this.#bytes };
  }
}
