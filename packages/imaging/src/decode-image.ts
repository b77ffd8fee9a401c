import sharp, { type Sharp } from 'sharp';
import type { ImageFormat } from './image-format.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import { toRawRgb, type RawRgbImage } from './raw-image.ts';

// The format and limit types live in their own files (the header reader needs them too); they are
// re-exported here because they are part of decodeImage's signature.
export { DEFAULT_IMAGE_LIMITS, type ImageFormat, type ImageLimits };

/**
 * A validated image, decoded once at the size its uses need: the thumbnail and graham-v3 preprocessing
 * work on `pixels` instead of decoding the file again.
 */
export interface DecodedImage {
  format: ImageFormat;
  /** Upright size of the original, i.e. after applying the EXIF orientation. */
  width: number;
  height: number;
  /** The encoded file, for the steps that decode it their own way (graham-v1 and graham-v2 preprocessing). */
  bytes: Uint8Array;
  /** The upright picture at working size (see workingSize), 8-bit RGB, transparency flattened onto black. */
  pixels: RawRgbImage;
  /** The disc radius (FundusPreprocessing.scaleRadius) the working size was chosen for. */
  scaleRadius: number;
}

export interface DecodeOptions {
  limits?: ImageLimits;
  /** The preprocessing's disc radius; the working size keeps a disc filling two thirds of the short side at least this large. */
  scaleRadius?: number;
}

/** Graham's radius; the default here only matters for callers that never preprocess. */
const DEFAULT_SCALE_RADIUS = 300;

/** The thumbnail's side: the working image is never smaller, so thumbnails come out at full size. */
const THUMBNAIL_SIDE = 256;

/**
 * JPEG decoding may scale by 1/2 in the DCT and still reads every coefficient, so truncated or corrupt data
 * is refused as by a full decode; at 1/4 and 1/8 our trials let some corrupt files through. sharp picks the
 * DCT scale from the resize factor, and a factor below 4 never asks for more than 1/2.
 */
const MAX_SHRINK = 3.9;

/**
 * The size the picture is decoded at: small enough that a camera frame never exists at full resolution,
 * large enough that a disc filling two thirds of the short side still has at least scaleRadius (so the
 * preprocessing only shrinks) and that the thumbnail is not enlarged. Never larger than the original.
 */
export function workingSize(width: number, height: number, scaleRadius: number): { width: number; height: number } {
  const needed = Math.max(3 * scaleRadius, THUMBNAIL_SIDE) / Math.min(width, height);
  const scale = Math.min(1, Math.max(needed, 1 / MAX_SHRINK));
  if (scale === 1) return { width, height };
  return { width: Math.max(1, Math.round(width * scale)), height: Math.max(1, Math.round(height * scale)) };
}

/**
 * Validates an upload completely and decodes it once: sniffs the magic bytes, checks the declared size
 * against the limits before any pixel is decoded, then decodes every pixel (at working size) so a
 * truncated or corrupt file is refused now rather than failing later. Throws only ImageValidationError
 * for bad input.
 */
export async function decodeImage(bytes: Uint8Array, options: DecodeOptions = {}): Promise<DecodedImage> {
  const limits = options.limits ?? DEFAULT_IMAGE_LIMITS;
  const scaleRadius = options.scaleRadius ?? DEFAULT_SCALE_RADIUS;
  const header = await readImageHeader(bytes, limits);
  const size = workingSize(header.width, header.height, scaleRadius);
  let pixels: RawRgbImage;
  try {
    const image = openImage(bytes, limits);
    pixels = await toRawRgb(size.width === header.width && size.height === header.height ? image : image.resize(size.width, size.height, { fit: 'fill' }));
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
  return { ...header, bytes, pixels, scaleRadius };
}

/** A sharp pipeline over the decoded pixels, for steps that derive something from them. */
export function openDecoded(image: DecodedImage): Sharp {
  const { data, width, height, channels } = image.pixels;
  return sharp(data, { raw: { width, height, channels } });
}
