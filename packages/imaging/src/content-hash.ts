import { createHash } from 'node:crypto';

/**
 * SHA-256 of the exact uploaded bytes, as lowercase hex. It identifies an upload for de-duplication
 * and as a storage key; it is deliberately not a perceptual hash, so a re-encoded copy is a new image.
 */
export function contentHash(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
