import sharp, { type Metadata, type Sharp } from 'sharp';
import { ImageValidationError } from './image-error.ts';
import { sniffImageFormat, type ImageFormat } from './image-format.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';

/**
 * Every path that hands untrusted bytes to sharp goes through this file, so format sniffing, size
 * limits and error translation are applied the same way by decode, thumbnail and preprocessing.
 */

/** What the header says, after orientation: width and height are as a viewer would show the image. */
export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/**
 * Sniffs the format and reads only the header, then applies the limits. No pixel is decoded, so a
 * decompression bomb (a tiny file declaring 100000x100000 pixels) is refused without allocating it.
 */
export async function readImageHeader(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<ImageHeader> {
  if (bytes.byteLength === 0) throw new ImageValidationError('empty', 'The file is empty.');
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new ImageValidationError('unsupported_type', 'Not a supported image: expected JPEG, PNG, TIFF or WebP.');
  }

  let metadata: Metadata;
  try {
    // The pixel limit is lifted here only because metadata() reads the header alone; we want the
    // declared size so we can refuse it with a precise message rather than sharp's generic one.
    metadata = await sharp(asBuffer(bytes), { limitInputPixels: false }).metadata();
  } catch (error) {
    throw toImageValidationError(error, format);
  }

  const width = metadata.autoOrient?.width ?? metadata.width;
  const height = metadata.autoOrient?.height ?? metadata.height;
  if (!(width > 0 && height > 0)) {
    throw new ImageValidationError('undecodable', `The ${format.toUpperCase()} header has no valid size.`);
  }
  if (width * height > limits.maxPixels) {
    throw new ImageValidationError(
      'too_large',
      `The image is ${width}x${height} (${formatMegapixels(width * height)}); the limit is ${formatMegapixels(limits.maxPixels)}.`,
    );
  }
  if (Math.min(width, height) < limits.minSide) {
    throw new ImageValidationError('too_small', `The image is ${width}x${height}; both sides must be at least ${limits.minSide} px.`);
  }
  return { format, width, height };
}

/**
 * A sharp pipeline over bytes that readImageHeader has accepted. The pixel limit is enforced again as a
 * second line of defence, EXIF orientation is applied on load (unless turned off, for a pass that only
 * validates) so every coordinate we report is in the upright image, and failOn 'warning' (sharp's recommendation for untrusted input) turns truncated or
 * corrupt data into an error instead of grey pixels.
 */
export function openImage(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS, { autoOrient = true }: { autoOrient?: boolean } = {}): Sharp {
  return sharp(asBuffer(bytes), {
    autoOrient,
    failOn: 'warning',
    limitInputPixels: limits.maxPixels,
  });
}

/** Maps whatever sharp threw while reading input onto our error type. */
export function toImageValidationError(error: unknown, format?: ImageFormat): ImageValidationError {
  if (error instanceof ImageValidationError) return error;
  const detail = error instanceof Error ? error.message : String(error);
  if (/exceeds pixel limit/i.test(detail)) {
    return new ImageValidationError('too_large', 'The image has more pixels than allowed.');
  }
  if (/unsupported image format/i.test(detail)) {
    return new ImageValidationError('unsupported_type', 'Not a supported image: expected JPEG, PNG, TIFF or WebP.');
  }
  const what = format ? `${format.toUpperCase()} file` : 'file';
  return new ImageValidationError('undecodable', `The ${what} is truncated or corrupt (${detail}).`);
}

/** sharp wants a Buffer; wrapping the caller's memory avoids copying a large upload. */
function asBuffer(bytes: Uint8Array): Buffer {
  return Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

function formatMegapixels(pixels: number): string {
  return `${(pixels / 1_000_000).toFixed(1)} MP`;
}
