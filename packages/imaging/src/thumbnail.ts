import type { Sharp } from 'sharp';
import { openDecoded, type DecodedImage } from './decode-image.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';

export const DEFAULT_THUMBNAIL_SIZE = 256;

/**
 * A JPEG that fits inside size x size, keeps the aspect ratio and is upright (EXIF rotation applied).
 * Small images are not enlarged. sharp drops metadata by default, which matters here: camera EXIF can
 * carry patient or device details that have no business in a thumbnail served to browsers.
 * An image decodeImage has decoded already is made from its pixels, without decoding the file again.
 */
export async function makeThumbnail(input: Uint8Array | DecodedImage, size: number = DEFAULT_THUMBNAIL_SIZE): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`Thumbnail size must be a positive integer, got ${size}`);
  if (!(input instanceof Uint8Array)) {
    // The working size is never below the default thumbnail's, and never above the original.
    const fits = Math.min(size / input.width, size / input.height, 1);
    return encodeThumbnail(openDecoded(input), Math.max(1, Math.round(input.width * fits)), Math.max(1, Math.round(input.height * fits)));
  }
  const header = await readImageHeader(input);
  try {
    return await encodeThumbnail(openImage(input), size, size);
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
}

function encodeThumbnail(pipeline: Sharp, width: number, height: number): Promise<Buffer> {
  return (
    pipeline
      .resize(width, height, { fit: 'inside', withoutEnlargement: true })
      // JPEG has no alpha; black matches the fundus background rather than the default white.
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .jpeg({ quality: 82 })
      .toBuffer()
  );
}
