import type { ImageFormat } from './image-format.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';

// The format and limit types live in their own files (the header reader needs them too); they are
// re-exported here because they are part of decodeImage's signature.
export { DEFAULT_IMAGE_LIMITS, type ImageFormat, type ImageLimits };

export interface DecodedImage {
  format: ImageFormat;
  /** Upright size, i.e. after applying the EXIF orientation. */
  width: number;
  height: number;
}

/**
 * Validates an upload completely before we store it: sniffs the magic bytes, checks the declared size
 * against the limits before any pixel is decoded, then decodes every pixel so a truncated or corrupt
 * file is refused now rather than failing later in preprocessing or the thumbnailer.
 * Throws only ImageValidationError for bad input.
 */
export async function decodeImage(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<DecodedImage> {
  const header = await readImageHeader(bytes, limits);
  try {
    // Full resolution on purpose: decoding to a small copy lets the JPEG decoder scale on load, and in
    // our trials that missed about half of the corrupt files a full decode catches. Keeping one channel
    // holds the memory to width * height bytes; stats() would need none but is several times slower.
    // Orientation is irrelevant here, and rotating would force the whole frame into memory.
    await openImage(bytes, limits, { autoOrient: false }).extractChannel(0).raw().toBuffer();
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
  return header;
}
