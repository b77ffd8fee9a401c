import type { Sharp } from 'sharp';

/** Decoded 8-bit RGB pixels, interleaved (HWC), as sharp's raw output gives them. */
export interface RawRgbImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/**
 * Runs a pipeline to 8-bit RGB: transparency is flattened onto black (the fundus background) and
 * grey, CMYK or 16-bit inputs are converted, so pixel code downstream handles one layout only.
 */
export async function toRawRgb(pipeline: Sharp): Promise<RawRgbImage> {
  const { data, info } = await pipeline.flatten({ background: '#000000' }).toColourspace('srgb').raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.channels !== 3 || data.length !== info.width * info.height * 3) {
    throw new Error(`Expected 8-bit RGB from sharp, got ${info.channels} channels and ${data.length} bytes`);
  }
  return { data, width: info.width, height: info.height, channels: 3 };
}
