import type { ImageFormat } from './image-format.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';

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
export async function decodeImage(
  bytes: Uint8Array,
  limits: ImageLimits = DEFAULT_IMAGE_LIMITS,
): Promise<DecodedImage> {
  const header = await readImageHeader(bytes, limits);
  try {
    // stats() streams through the whole image without keeping the decoded frame in memory.
    await openImage(bytes, limits).stats();
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
  return header;
}
