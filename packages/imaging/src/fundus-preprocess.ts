import sharp, { type Sharp } from 'sharp';
import { decodeImage, openDecoded, type DecodedImage } from './decode-image.ts';
import { findFundusDisc, findFundusDiscInDecoded, type FundusDisc } from './fundus-disc.ts';
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
  /**
   * Changes whenever the algorithm changes in a way the numbers above do not capture.
   * - `graham-v1`: the disc square is cut out of the full-resolution decode, then resized.
   * - `graham-v2`: where the disc is shrunk (a camera frame larger than the network's scale), the photo is
   *   decoded at the reduced size first (libjpeg's DCT scaling: an 8x smaller JPEG decode costs a fraction)
   *   and the square is cut out of that. Where the disc is enlarged (photos whose disc radius is at most
   *   scaleRadius, e.g. the 256 px EyePACS set), v2 runs the v1 code and gives bit-identical output.
   * - `graham-v3`: the photo is decoded once (decodeImage), at a working size chosen from its header (short
   *   side 2.2 * scaleRadius; a JPEG is scaled in the DCT where the factor allows), and both the disc and
   *   the square come from those pixels; ingest makes the thumbnail from the same decode. v1 and v2 decode
   *   twice (disc, then square), each at its own DCT scale, so no single decode reproduces them. Where the working size is the original's (short side up to
   *   2.2 * scaleRadius, e.g. 256 or 512 px photos) and the file is 8-bit, v3 gives v1's output bit for bit.
   * - `graham-v4`: v3, then a Gaussian of sigma ANTI_ALIAS_SIGMA px on the network input. For the filter
   *   computed at the network's scale (preprocessingForInputSize), it does what the final resize of Graham's
   *   600 px square did: without it, the 4x gain leaves fine detail near the pixel pitch that depends on the
   *   photo's resolution.
   */
  version: string;
}

/** Graham's disc radius, with which every model recorded without a scaleRadius (older releases) was made. */
export const GRAHAM_SCALE_RADIUS = 300;

/**
 * The preprocessing a new model gets: Graham's filter (sigma = radius / 30, keep the central 90%) computed at
 * the resolution the network sees (graham-v4). The disc is rescaled so that its kept 90% spans the input
 * exactly (radius inputSize / (2 * 0.9): 124.4 px at 224), so nothing is resampled after the filter. Graham's
 * radius of 300 filters a 600 px square and then shrinks it to 224; at the network's scale the same filter
 * costs less than half (one core: a 256 px photograph 15 instead of 36 ms, a 3872x2592 JPEG 30 instead of
 * 69 ms, decoded at 1/8 in the DCT instead of 1/2). Models recorded with radius 300 keep it.
 * `graham-v3` gives Graham's own radius of 300 instead, as the shipped model was trained (`cbmir train
 * --preprocessing graham-v3`).
 */
export function preprocessingForInputSize(inputSize: number, version: TrainingPreprocessingVersion = 'graham-v4'): FundusPreprocessing {
  const keepFraction = 0.9;
  return {
    inputSize,
    // The smallest radius assertValidPreprocessing allows; only nets under 29 px (tests) reach it.
    scaleRadius: version === 'graham-v3' ? GRAHAM_SCALE_RADIUS : Math.max(16, inputSize / (2 * keepFraction)),
    blurSigmaFraction: 1 / 30,
    keepFraction,
    version,
  };
}

/** The preprocessings a new model can be trained with (`cbmir train --preprocessing`), the default first. */
export const TRAINING_PREPROCESSING_VERSIONS = ['graham-v4', 'graham-v3'] as const;
export type TrainingPreprocessingVersion = (typeof TRAINING_PREPROCESSING_VERSIONS)[number];

/** The paper's 224 px input (preprocessingForInputSize(224)). */
export const DEFAULT_PREPROCESSING: FundusPreprocessing = Object.freeze(preprocessingForInputSize(224));

/** The preprocessing algorithms this code implements (FundusPreprocessing.version). */
export const PREPROCESSING_VERSIONS: readonly string[] = ['graham-v1', 'graham-v2', 'graham-v3', 'graham-v4'];

/**
 * graham-v4's anti-alias, in network input pixels. On synthetic camera frames and 256 px copies made from
 * them, the preprocessed 256 px copy differed from the frame by 0.38 of the difference to another eye, as with
 * Graham's radius of 300 (0.38), where the filter at the network's scale without it gave 0.47.
 */
const ANTI_ALIAS_SIGMA = 0.7;

/** A model's recorded preprocessing names a version this code does not implement: its embeddings would not compare. */
export class UnsupportedPreprocessingError extends Error {
  constructor(readonly version: string) {
    super(
      `preprocessing "${version}" is not implemented by this cbmir (it implements ${PREPROCESSING_VERSIONS.join(', ')}): upgrade cbmir or retrain the model`,
    );
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
  // A record without a version predates graham-v2: its embeddings were made by graham-v1, and one without a
  // scaleRadius with Graham's radius.
  const params = { ...DEFAULT_PREPROCESSING, scaleRadius: GRAHAM_SCALE_RADIUS, version: 'graham-v1', ...given, inputSize };
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

/** NEUTRAL as a network input value: the preprocessed image's background (no local contrast). */
export const PREPROCESSED_BACKGROUND = NEUTRAL / 127.5 - 1;

/**
 * Turns a fundus photo (encoded, or decoded by decodeImage) into network input: finds the disc, rescales
 * it to scaleRadius, subtracts the local average colour (out = 4 * img - 4 * gaussian(img) + 128), sets
 * everything outside keepFraction of the radius to neutral grey, and resizes the square around the kept
 * disc to inputSize. Camera frames with black borders and pre-cropped squares give the same kind of output;
 * a picture with no dark surround is treated as if its inscribed circle were the disc. Throws only
 * ImageValidationError, and only for input that decodeImage would also refuse. A decoded image gives
 * exactly what its bytes give: it only saves graham-v3 the decode.
 */
export async function preprocessFundus(input: Uint8Array | DecodedImage, params: FundusPreprocessing = DEFAULT_PREPROCESSING): Promise<PreprocessedImage> {
  assertValidPreprocessing(params);
  const decoded = input instanceof Uint8Array ? null : input;
  if (params.version === 'graham-v3' || params.version === 'graham-v4') {
    // The working size depends on scaleRadius: pixels decoded for another radius are decoded again.
    const image =
      decoded?.scaleRadius === params.scaleRadius ? decoded : await decodeImage(decoded?.bytes ?? (input as Uint8Array), { scaleRadius: params.scaleRadius });
    return preprocessDecoded(image, params);
  }
  const bytes = decoded?.bytes ?? (input as Uint8Array);
  const header = await readImageHeader(bytes);
  const disc = await findFundusDisc(bytes);
  try {
    const shrinkOnLoad = params.version !== 'graham-v1' && disc.radius > params.scaleRadius;
    const square = shrinkOnLoad
      ? await shrunkDiscSquare(bytes, header.width, header.height, disc, params.scaleRadius)
      : await discSquare(openImage(bytes), header.width, header.height, disc, params.scaleRadius);
    return { data: await networkInput(square, params), size: params.inputSize, disc };
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
}

/** graham-v3 and v4: disc and square from the one decode; the disc is reported in the original's coordinates. */
async function preprocessDecoded(image: DecodedImage, params: FundusPreprocessing): Promise<PreprocessedImage> {
  const disc = await findFundusDiscInDecoded(image);
  const { pixels } = image;
  const sx = pixels.width / image.width;
  const sy = pixels.height / image.height;
  const working: FundusDisc = { cx: disc.cx * sx, cy: disc.cy * sy, radius: (disc.radius * (sx + sy)) / 2, fallback: disc.fallback };
  const square = await discSquare(openDecoded(image), pixels.width, pixels.height, working, params.scaleRadius);
  return { data: await networkInput(square, params), size: params.inputSize, disc };
}

/** The disc square to network input: local-average subtraction, the kept centre, resized and scaled to [-1, 1]. */
async function networkInput(square: RawRgbImage, params: FundusPreprocessing): Promise<Float32Array> {
  const contrast = await subtractLocalAverage(square, params);
  const keepSide = Math.round(2 * params.keepFraction * params.scaleRadius);
  const offset = Math.floor((square.width - keepSide) / 2);
  const kept = sharp(contrast.data, { raw: { width: contrast.width, height: contrast.height, channels: 3 } }).extract({
    left: offset,
    top: offset,
    width: keepSide,
    height: keepSide,
  });
  // graham-v4 at the network's scale (preprocessingForInputSize): the kept square is the input as it is.
  const asIs = params.version === 'graham-v4' && keepSide === params.inputSize;
  const input = asIs ? kept : kept.resize(params.inputSize, params.inputSize, { fit: 'fill' });
  const { data } = await (params.version === 'graham-v4' ? input.blur(ANTI_ALIAS_SIGMA) : input).raw().toBuffer({ resolveWithObject: true });
  const out = new Float32Array(data.length);
  for (let i = 0; i < data.length; i++) out[i] = data[i]! / 127.5 - 1;
  return out;
}

/**
 * The square [cx - r, cx + r] x [cy - r, cy + r] of the picture `source` opens (width x height), scaled so
 * the disc radius becomes scaleRadius. Only that region is resampled, so a large frame costs little.
 * Parts of the square beyond the image (a disc cut off by the frame) are black, like the surround.
 */
async function discSquare(source: Sharp, width: number, height: number, disc: FundusDisc, scaleRadius: number): Promise<RawRgbImage> {
  const side = Math.round(2 * scaleRadius);
  const scale = scaleRadius / disc.radius;
  const squareLeft = disc.cx - disc.radius;
  const squareTop = disc.cy - disc.radius;
  const left = Math.max(0, Math.floor(squareLeft));
  const top = Math.max(0, Math.floor(squareTop));
  const right = Math.min(width, Math.ceil(disc.cx + disc.radius));
  const bottom = Math.min(height, Math.ceil(disc.cy + disc.radius));
  const region = await toRawRgb(
    source
      .extract({ left, top, width: right - left, height: bottom - top })
      .resize(Math.max(1, Math.round((right - left) * scale)), Math.max(1, Math.round((bottom - top) * scale)), {
        fit: 'fill',
      }),
  );

  return pasteOnBlack(region, side, Math.round((left - squareLeft) * scale), Math.round((top - squareTop) * scale));
}

/**
 * discSquare for a disc larger than scaleRadius (graham-v2): the whole photo is resized first, so sharp
 * decodes a JPEG (or WebP) at 1/2, 1/4 or 1/8 scale in the DCT instead of at full resolution, and the
 * square is then cut out of the small image. A 10-megapixel camera frame never exists at full size.
 */
async function shrunkDiscSquare(bytes: Uint8Array, width: number, height: number, disc: FundusDisc, scaleRadius: number): Promise<RawRgbImage> {
  const side = Math.round(2 * scaleRadius);
  const scale = scaleRadius / disc.radius;
  const scaledWidth = Math.max(1, Math.round(width * scale));
  const scaledHeight = Math.max(1, Math.round(height * scale));
  const squareLeft = Math.round(disc.cx * scale - scaleRadius);
  const squareTop = Math.round(disc.cy * scale - scaleRadius);
  const left = Math.max(0, squareLeft);
  const top = Math.max(0, squareTop);
  const right = Math.min(scaledWidth, squareLeft + side);
  const bottom = Math.min(scaledHeight, squareTop + side);
  const region = await toRawRgb(
    openImage(bytes)
      .resize(scaledWidth, scaledHeight, { fit: 'fill' })
      .extract({ left, top, width: Math.max(1, right - left), height: Math.max(1, bottom - top) }),
  );
  return pasteOnBlack(region, side, left - squareLeft, top - squareTop);
}

/** A side x side black square with `region` drawn at (dx, dy); what falls outside is dropped. */
function pasteOnBlack(region: RawRgbImage, side: number, dx: number, dy: number): RawRgbImage {
  const data = new Uint8Array(side * side * 3);
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
        out[i + c] = v <= 0 ? 0 : Math.min(v, 255);
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
