import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';

export const DEFAULT_THUMBNAIL_SIZE = 256;

/**
 * A JPEG that fits inside size x size, keeps the aspect ratio and is upright (EXIF rotation applied).
 * Small images are not enlarged. sharp drops metadata by default, which matters here: camera EXIF can
 * carry patient or device details that have no business in a thumbnail served to browsers.
 */
export async function makeThumbnail(bytes: Uint8Array, size: number = DEFAULT_THUMBNAIL_SIZE): Promise<Buffer> {
  if (!Number.isInteger(size) || size < 1) throw new RangeError(`Thumbnail size must be a positive integer, got ${size}`);
  const header = await readImageHeader(bytes);
  try {
    return await openImage(bytes)
      .resize(size, size, { fit: 'inside', withoutEnlargement: true })
      // JPEG has no alpha; black matches the fundus background rather than the default white.
      .flatten({ background: '#000000' })
      .toColourspace('srgb')
      .jpeg({ quality: 82 })
      .toBuffer();
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
}
