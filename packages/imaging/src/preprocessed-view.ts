import sharp from 'sharp';
import type { FundusDisc } from './fundus-disc.ts';
import type { FundusPreprocessing, PreprocessedImage } from './fundus-preprocess.ts';

/** The network's view as a PNG a person can look at: the preprocessed input mapped back from [-1, 1] to 8 bits. */
export async function preprocessedToPng(image: PreprocessedImage): Promise<Buffer> {
  const pixels = Buffer.alloc(image.data.length);
  for (let i = 0; i < image.data.length; i++) pixels[i] = Math.max(0, Math.min(255, Math.round((image.data[i]! + 1) * 127.5)));
  return sharp(pixels, { raw: { width: image.size, height: image.size, channels: 3 } })
    .png()
    .toBuffer();
}

/** Where the network input came from in the upright original, as fractions of its width and height. */
export interface KeptRegion {
  left: number;
  top: number;
  width: number;
  height: number;
}

/**
 * The square of the original that preprocessFundus keeps (keepFraction of the disc radius around its
 * centre) and resizes to the network input, so a map over the input can be drawn on the original too.
 */
export function keptRegion(disc: FundusDisc, imageWidth: number, imageHeight: number, params: Pick<FundusPreprocessing, 'keepFraction'>): KeptRegion {
  const half = params.keepFraction * disc.radius;
  return {
    left: (disc.cx - half) / imageWidth,
    top: (disc.cy - half) / imageHeight,
    width: (2 * half) / imageWidth,
    height: (2 * half) / imageHeight,
  };
}
