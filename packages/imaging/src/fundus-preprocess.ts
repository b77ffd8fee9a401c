import sharp from 'sharp';
import { findFundusDisc, type FundusDisc } from './fundus-disc.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';
import { toRawRgb, type RawRgbImage } from './raw-image.ts';

/**
 * The paper's preprocessing ("rescaled all images to same radius, subtracted the local average color
 * and preserved the central 90%, resized to 224x224"), which is Ben Graham's Kaggle DR method.
 * Every value is recorded with a model, because an embedding is only comparable with embeddings made
 * by the same preprocessing.
 */
export interface FundusPreprocessing {
  /** Side of the square network input. */
  inputSize: number;
  /** Disc radius, in pixels, at which the local-average subtraction is computed. */
  scaleRadius: number;
  /** Gaussian sigma of the local average, as a fraction of the disc radius. */
  blurSigmaFraction: number;
  /** Fraction of the disc radius kept; the rim, where the blur mixes in the black surround, is dropped. */
  keepFraction: number;
  /** Changes whenever the algorithm changes in a way the numbers above do not capture. */
  version: string;
}

/** Graham's values (radius 300, sigma = radius / 30, keep 90%) and the paper's 224 px input. */
export const DEFAULT_PREPROCESSING: FundusPreprocessing = Object.freeze({
  inputSize: 224,
  scaleRadius: 300,
  blurSigmaFraction: 1 / 30,
  keepFraction: 0.9,
  version: 'graham-v1',
});

/** The preprocessing algorithms this code implements (FundusPreprocessing.version). */
export const PREPROCESSING_VERSIONS: readonly string[] = ['graham-v1'];

/** A model's recorded preprocessing names a version this code does not implement: its embeddings would not compare. */
export class UnsupportedPreprocessingError extends Error {
  constructor(readonly version: string) {
    super(`preprocessing "${version}" is not implemented by this cbmir (it implements ${PREPROCESSING_VERSIONS.join(', ')}): upgrade cbmir or retrain the model`);
    this.name = 'UnsupportedPreprocessingError';
  }
}

/**
 * The one way to turn a model's recorded preprocessing (metadata.json, a model version's row; possibly
 * partial, from older releases) into the parameters to run: Graham's defaults for what is missing, the
 * model's input size, and a refusal of an algorithm version this code does not implement.
 */
export function resolvePreprocessing(recorded: unknown, inputSize: number): FundusPreprocessing {
  const given = recorded && typeof recorded === 'object' ? (recorded as Partial<FundusPreprocessing>) : {};
  const params = { ...DEFAULT_PREPROCESSING, ...given, inputSize };
  if (!PREPROCESSING_VERSIONS.includes(params.version)) throw new UnsupportedPreprocessingError(String(params.version));
  assertValidPreprocessing(params);
  return params;
}

export interface PreprocessedImage {
  /** inputSize * inputSize * 3 values, HWC, RGB, scaled to [-1, 1] as v / 127.5 - 1. */
  data: Float32Array;
  size: number;
  /** The disc found in the upright original, in its pixel coordinates. */
  disc: FundusDisc;
}

/** The grey that zero local contrast maps to, and the fill outside the kept disc. */
const NEUTRAL = 128;

/**
 * Turns an encoded fundus photo into network input: finds the disc, rescales it to scaleRadius,
 * subtracts the local average colour (out = 4 * img - 4 * gaussian(img) + 128), sets everything
 * outside keepFraction of the radius to neutral grey, and resizes the square around the kept disc to
 * inputSize. Camera frames with black borders and pre-cropped squares give the same kind of output;
 * a picture with no dark surround is treated as if its inscribed circle were the disc. Throws only
 * ImageValidationError, and only for input that decodeImage would also refuse.
 */
export async function preprocessFundus(
  bytes: Uint8Array,
  params: FundusPreprocessing = DEFAULT_PREPROCESSING,
): Promise<PreprocessedImage> {
  assertValidPreprocessing(params);
  const header = await readImageHeader(bytes);
  const disc = await findFundusDisc(bytes);
  try {
    const square = await discSquare(bytes, header.width, header.height, disc, params.scaleRadius);
    const contrast = await subtractLocalAverage(square, params);
    const keepSide = Math.round(2 * params.keepFraction * params.scaleRadius);
    const offset = Math.floor((square.width - keepSide) / 2);
    const { data } = await sharp(contrast.data, { raw: { width: contrast.width, height: contrast.height, channels: 3 } })
      .extract({ left: offset, top: offset, width: keepSide, height: keepSide })
      .resize(params.inputSize, params.inputSize, { fit: 'fill' })
      .raw()
      .toBuffer({ resolveWithObject: true });

    const out = new Float32Array(data.length);
    for (let i = 0; i < data.length; i++) out[i] = data[i]! / 127.5 - 1;
    return { data: out, size: params.inputSize, disc };
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
}

/**
 * The square [cx - r, cx + r] x [cy - r, cy + r] of the original, scaled so the disc radius becomes
 * scaleRadius. Only that region is decoded at full detail, so a large camera frame costs little.
 * Parts of the square beyond the image (a disc cut off by the frame) are black, like the surround.
 */
async function discSquare(
  bytes: Uint8Array,
  width: number,
  height: number,
  disc: FundusDisc,
  scaleRadius: number,
): Promise<RawRgbImage> {
  const side = Math.round(2 * scaleRadius);
  const scale = scaleRadius / disc.radius;
  const squareLeft = disc.cx - disc.radius;
  const squareTop = disc.cy - disc.radius;
  const left = Math.max(0, Math.floor(squareLeft));
  const top = Math.max(0, Math.floor(squareTop));
  const right = Math.min(width, Math.ceil(disc.cx + disc.radius));
  const bottom = Math.min(height, Math.ceil(disc.cy + disc.radius));
  const region = await toRawRgb(
    openImage(bytes)
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(Math.max(1, Math.round((right - left) * scale)), Math.max(1, Math.round((bottom - top) * scale)), {
        fit: 'fill',
      }),
  );

  const data = new Uint8Array(side * side * 3);
  const dx = Math.round((left - squareLeft) * scale);
  const dy = Math.round((top - squareTop) * scale);
  for (let y = 0; y < region.height; y++) {
    const ty = y + dy;
    if (ty < 0 || ty >= side) continue;
    const x0 = Math.max(0, -dx);
    const x1 = Math.min(region.width, side - dx);
    if (x1 <= x0) continue;
    data.set(region.data.subarray((y * region.width + x0) * 3, (y * region.width + x1) * 3), (ty * side + x0 + dx) * 3);
  }
  return { data, width: side, height: side, channels: 3 };
}

/**
 * Graham's local-average subtraction: out = 4 * img - 4 * blur(img) + 128, saturated to 8 bits.
 * Removing the blur cancels the slowly varying illumination and pigmentation that differ between
 * cameras and patients, and the gain of 4 amplifies what remains: vessels and lesions. Outside the
 * kept circle the output is neutral grey, hiding the bright ring the blur leaves at the rim.
 */
async function subtractLocalAverage(square: RawRgbImage, params: FundusPreprocessing): Promise<RawRgbImage> {
  const sigma = params.blurSigmaFraction * params.scaleRadius;
  const blurred = await sharp(square.data, { raw: { width: square.width, height: square.height, channels: 3 } })
    .blur(sigma)
    .raw()
    .toBuffer();
  const side = square.width;
  const centre = side / 2;
  const keepRadius = params.keepFraction * params.scaleRadius;
  const keep2 = keepRadius * keepRadius;
  const out = new Uint8Array(square.data.length);
  for (let y = 0; y < side; y++) {
    const dy = y + 0.5 - centre;
    for (let x = 0; x < side; x++) {
      const dx = x + 0.5 - centre;
      const i = (y * side + x) * 3;
      if (dx * dx + dy * dy > keep2) {
        out[i] = out[i + 1] = out[i + 2] = NEUTRAL;
        continue;
      }
      for (let c = 0; c < 3; c++) {
        const v = 4 * square.data[i + c]! - 4 * blurred[i + c]! + NEUTRAL;
        out[i + c] = v <= 0 ? 0 : v >= 255 ? 255 : v;
      }
    }
  }
  return { data: out, width: side, height: side, channels: 3 };
}

/** Bad parameters are a programming error, not bad input, so they get a RangeError. */
export function assertValidPreprocessing(params: FundusPreprocessing): void {
  const problems: string[] = [];
  if (!Number.isInteger(params.inputSize) || params.inputSize < 8 || params.inputSize > 4096) {
    problems.push(`inputSize must be an integer in [8, 4096], got ${params.inputSize}`);
  }
  if (!(params.scaleRadius >= 16 && params.scaleRadius <= 2048)) {
    problems.push(`scaleRadius must be in [16, 2048], got ${params.scaleRadius}`);
  }
  const sigma = params.blurSigmaFraction * params.scaleRadius;
  // sharp's Gaussian accepts sigma in [0.3, 1000].
  if (!(params.blurSigmaFraction > 0 && sigma >= 0.3 && sigma <= 1000)) {
    problems.push(`blurSigmaFraction * scaleRadius must be in [0.3, 1000], got ${sigma}`);
  }
  if (!(params.keepFraction > 0 && params.keepFraction <= 1)) {
    problems.push(`keepFraction must be in (0, 1], got ${params.keepFraction}`);
  }
  if (typeof params.version !== 'string' || params.version.length === 0) problems.push('version must be set');
  if (problems.length > 0) throw new RangeError(`Invalid fundus preprocessing: ${problems.join('; ')}`);
}
