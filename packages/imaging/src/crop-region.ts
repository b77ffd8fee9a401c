import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';

/** A rectangle in fractions of the upright image: x, y its top-left corner, all four within 0..1. */
export interface ImageRegion {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** A region's pixels in the upright image. */
export interface PixelBox {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * Fewest pixels on either side of a searched region. Preprocessing rescales the retina to a 300 px radius, so a
 * smaller crop would be mostly interpolation; 64 px still lets a clinician pick out one lesion of a camera frame.
 */
export const MIN_REGION_SIDE = 64;

/** Why a region cannot be searched: for the caller to report as bad input, never a crash. */
export class RegionError extends Error {
  override name = 'RegionError';
}

/** Checks the fractions alone (no image needed): inside 0..1, not empty. */
export function assertValidRegion(region: ImageRegion): void {
  for (const [name, value] of Object.entries(region)) {
    if (!Number.isFinite(value) || value < 0 || value > 1) throw new RegionError(`region ${name} must be a fraction between 0 and 1, got ${value}`);
  }
  if (region.width === 0 || region.height === 0) throw new RegionError('the region has no area: width and height must be above 0');
  // A hair of tolerance: the page's fractions come from floating-point pixel maths.
  if (region.x + region.width > 1 + 1e-9) throw new RegionError(`the region runs past the right edge (x + width = ${region.x + region.width})`);
  if (region.y + region.height > 1 + 1e-9) throw new RegionError(`the region runs past the bottom edge (y + height = ${region.y + region.height})`);
}

/**
 * The region's pixels in an upright width x height image: edges rounded to the nearest pixel, clamped to the image.
 * Throws RegionError when the region is invalid or smaller than `minSide` pixels on a side.
 */
export function regionPixels(region: ImageRegion, width: number, height: number, minSide = MIN_REGION_SIDE): PixelBox {
  assertValidRegion(region);
  const left = Math.min(width - 1, Math.round(region.x * width));
  const top = Math.min(height - 1, Math.round(region.y * height));
  const right = Math.min(width, Math.round((region.x + region.width) * width));
  const bottom = Math.min(height, Math.round((region.y + region.height) * height));
  const box = { left, top, width: right - left, height: bottom - top };
  if (box.width < minSide || box.height < minSide) {
    throw new RegionError(
      `the region is ${Math.max(box.width, 0)}x${Math.max(box.height, 0)} px of this ${width}x${height} image; both sides must be at least ${minSide} px`,
    );
  }
  return box;
}

/**
 * The region of an encoded photograph as a lossless PNG of the same pixels (EXIF orientation applied first, so the
 * fractions refer to the image as a viewer shows it). The crop is then searched like any photograph: decoded,
 * preprocessed (disc found, or the inscribed circle taken when there is no dark surround) and embedded.
 * Throws ImageValidationError for an unreadable image and RegionError for a region it cannot take.
 */
export async function cropToRegion(bytes: Uint8Array, region: ImageRegion, minSide = MIN_REGION_SIDE): Promise<{ bytes: Buffer; box: PixelBox }> {
  const header = await readImageHeader(bytes);
  const box = regionPixels(region, header.width, header.height, minSide);
  try {
    // Fast, still lossless: the crop is decoded once more and never stored.
    const cropped = await openImage(bytes).extract(box).png({ compressionLevel: 1 }).toBuffer();
    return { bytes: cropped, box };
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
}
