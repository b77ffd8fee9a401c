import type { Sharp } from 'sharp';
import { openDecoded, type DecodedImage } from './decode-image.ts';
import { openImage, readImageHeader, toImageValidationError } from './image-input.ts';
import { DEFAULT_IMAGE_LIMITS, type ImageLimits } from './image-limits.ts';
import { toRawRgb, type RawRgbImage } from './raw-image.ts';

/**
 * The circular field of view of a fundus photo. Coordinates are continuous: an image W pixels wide
 * spans x in [0, W], so a disc centred in a 256 px square has cx = 128.
 */
export interface FundusDisc {
  cx: number;
  cy: number;
  radius: number;
  /** True when no disc against a dark border was found and the inscribed circle was assumed. */
  fallback: boolean;
}

/** Locating the disc needs only its outline, so it runs on a copy at most this many pixels across. */
const ANALYSIS_SIDE = 512;

/**
 * Finds the fundus disc of an encoded image, in the pixel coordinates of the upright (EXIF-rotated)
 * original. Never throws for a valid image: without a dark border it falls back to the inscribed circle.
 */
export async function findFundusDisc(bytes: Uint8Array, limits: ImageLimits = DEFAULT_IMAGE_LIMITS): Promise<FundusDisc> {
  const header = await readImageHeader(bytes, limits);
  let small: RawRgbImage;
  try {
    small = await analysisCopy(openImage(bytes, limits));
  } catch (error) {
    throw toImageValidationError(error, header.format);
  }
  return inOriginal(locateFundusDisc(small), small, header);
}

/** findFundusDisc for an image decodeImage has decoded already: the analysis copy is made from its pixels. */
export async function findFundusDiscInDecoded(image: DecodedImage): Promise<FundusDisc> {
  const small = await analysisCopy(openDecoded(image));
  return inOriginal(locateFundusDisc(small), small, image);
}

function analysisCopy(pipeline: Sharp): Promise<RawRgbImage> {
  return toRawRgb(pipeline.resize(ANALYSIS_SIDE, ANALYSIS_SIDE, { fit: 'inside', withoutEnlargement: true }));
}

/** A disc found in `small` (a scaled copy), in the coordinates of the original of `size`. */
function inOriginal(disc: FundusDisc, small: RawRgbImage, size: { width: number; height: number }): FundusDisc {
  const fx = size.width / small.width;
  const fy = size.height / small.height;
  return { cx: disc.cx * fx, cy: disc.cy * fy, radius: (disc.radius * (fx + fy)) / 2, fallback: disc.fallback };
}

/**
 * Finds the disc in decoded pixels. Thresholds the brightest channel against the dark background,
 * takes where each row and column enters and leaves the bright region as points on the rim, and fits
 * a circle to them. Points on the image border are not rim, they are where the camera cut the disc
 * off, so a disc clipped at the top and bottom (common in EyePACS) is still measured correctly. The
 * fit is accepted only if the bright region actually looks like that circle.
 */
export function locateFundusDisc(image: RawRgbImage): FundusDisc {
  const { width, height } = image;
  const inscribed: FundusDisc = { cx: width / 2, cy: height / 2, radius: Math.min(width, height) / 2, fallback: true };

  // The brightest channel, not only red: colour casts and over-processed photos can have a rim that
  // is blue or green, and anything clearly above black belongs to the retina either way.
  const brightness = new Uint8Array(width * height);
  for (let p = 0, i = 0; p < brightness.length; p++, i += 3) {
    brightness[p] = Math.max(image.data[i]!, image.data[i + 1]!, image.data[i + 2]!);
  }

  const levels = backgroundLevels(brightness, width, height);
  if (levels === null) return inscribed;
  const window = Math.max(1, Math.round(0.02 * Math.max(width, height)));
  // The cut starts low, because the rim of a fundus photo is much darker than its centre, and is
  // raised only when the surround is so noisy that the low cut does not yield a clean disc.
  for (const fraction of [0.15, 0.3, 0.5]) {
    const threshold = levels.background + Math.max(10, fraction * (levels.retina - levels.background));
    const mask = new Uint8Array(brightness.length);
    for (let p = 0; p < mask.length; p++) mask[p] = brightness[p]! > threshold ? 1 : 0;
    // Many camera frames have a grainy surround whose speckles are as bright as the dim rim of the
    // retina. Speckles are small and broken up by dark pixels while the retina is one large solid
    // region: a morphological opening removes the former and, the disc being convex and far larger
    // than the window, leaves the rim where it was (a blur would move it).
    const bright = openMask(mask, width, height, window);
    const circle = fitCircleRobust(rimPoints(bright, width, height));
    if (circle !== null && isPlausibleDisc(circle, bright, width, height)) return { ...circle, fallback: false };
  }
  return inscribed;
}

/**
 * Typical brightness of the background and of the retina, or null when there is no dark surround.
 * The background level comes from the image frame (a low percentile, so a disc touching the top and
 * bottom edges does not lift it), the retina level from the brighter part of the whole image.
 */
function backgroundLevels(brightness: Uint8Array, width: number, height: number): { background: number; retina: number } | null {
  const band = Math.max(1, Math.round(0.02 * Math.min(width, height)));
  const frame = new Uint32Array(256);
  for (let y = 0; y < height; y++) {
    const inBandRow = y < band || y >= height - band;
    for (let x = 0; x < width; x++) {
      if (inBandRow || x < band || x >= width - band) frame[brightness[y * width + x]!]!++;
    }
  }
  const all = new Uint32Array(256);
  for (const b of brightness) all[b]!++;
  const background = histogramPercentile(frame, 0.1);
  const retina = histogramPercentile(all, 0.75);
  // Too little contrast: a flat or bright-bordered picture, not a fundus against black.
  if (retina - background < 24 || background > 80) return null;
  return { background, retina };
}

interface Point {
  x: number;
  y: number;
}

/** Where each row and each column first and last enter the bright region, excluding image borders. */
function rimPoints(bright: Uint8Array, width: number, height: number): Point[] {
  // A run of a few bright pixels is needed to count, so dust, JPEG ringing or a caption in the black
  // border do not pass for the rim.
  const run = Math.max(2, Math.round(0.01 * Math.max(width, height)));
  const points: Point[] = [];
  const scan = (length: number, at: (k: number) => number): [number, number] | null => {
    let first = -1;
    for (let k = 0, count = 0; k < length; k++) {
      count = at(k) ? count + 1 : 0;
      if (count === run) {
        first = k - run + 1;
        break;
      }
    }
    if (first < 0) return null;
    let last = first;
    for (let k = length - 1, count = 0; k >= first; k--) {
      count = at(k) ? count + 1 : 0;
      if (count === run) {
        last = k + run - 1;
        break;
      }
    }
    return [first, last];
  };
  for (let y = 0; y < height; y++) {
    const span = scan(width, (x) => bright[y * width + x]!);
    if (!span) continue;
    if (span[0] > 0) points.push({ x: span[0], y: y + 0.5 });
    if (span[1] < width - 1) points.push({ x: span[1] + 1, y: y + 0.5 });
  }
  for (let x = 0; x < width; x++) {
    const span = scan(height, (y) => bright[y * width + x]!);
    if (!span) continue;
    if (span[0] > 0) points.push({ x: x + 0.5, y: span[0] });
    if (span[1] < height - 1) points.push({ x: x + 0.5, y: span[1] + 1 });
  }
  return points;
}

interface Circle {
  cx: number;
  cy: number;
  radius: number;
}

/** Least-squares circle fit, refitted after dropping outliers (notches, captions, glare on the rim). */
function fitCircleRobust(points: Point[]): Circle | null {
  let inliers = points;
  let circle: Circle | null = null;
  for (let round = 0; round < 4; round++) {
    if (inliers.length < 12) return null;
    circle = fitCircle(inliers);
    if (circle === null) return null;
    const c = circle;
    const residuals = points.map((p) => Math.abs(Math.hypot(p.x - c.cx, p.y - c.cy) - c.radius));
    const tolerance = Math.max(1.5, 3 * percentile(residuals, 0.5));
    inliers = points.filter((_, i) => residuals[i]! <= tolerance);
  }
  if (circle === null || inliers.length < 0.6 * points.length) return null;
  return circle;
}

/**
 * Algebraic (Kasa) circle fit: minimises sum (x^2 + y^2 + Dx + Ey + F)^2, a 3x3 linear system.
 * Coordinates are centred first to keep the system well conditioned.
 */
function fitCircle(points: Point[]): Circle | null {
  let mx = 0;
  let my = 0;
  for (const p of points) {
    mx += p.x;
    my += p.y;
  }
  mx /= points.length;
  my /= points.length;
  let sxx = 0,
    sxy = 0,
    syy = 0,
    sx = 0,
    sy = 0,
    sxz = 0,
    syz = 0,
    sz = 0;
  for (const p of points) {
    const x = p.x - mx;
    const y = p.y - my;
    const z = x * x + y * y;
    sxx += x * x;
    sxy += x * y;
    syy += y * y;
    sx += x;
    sy += y;
    sxz += x * z;
    syz += y * z;
    sz += z;
  }
  const n = points.length;
  // [sxx sxy sx; sxy syy sy; sx sy n] [D E F]' = -[sxz syz sz]'
  const solution = solve3(
    [
      [sxx, sxy, sx],
      [sxy, syy, sy],
      [sx, sy, n],
    ],
    [-sxz, -syz, -sz],
  );
  if (!solution) return null;
  const [d, e, f] = solution;
  const cx = -d / 2;
  const cy = -e / 2;
  const r2 = cx * cx + cy * cy - f;
  if (!(r2 > 0)) return null;
  return { cx: cx + mx, cy: cy + my, radius: Math.sqrt(r2) };
}

/** Cramer's rule; returns null for a (near-)singular system, e.g. points on a straight line. */
function solve3(a: number[][], b: number[]): [number, number, number] | null {
  const det = (m: number[][]): number =>
    m[0]![0]! * (m[1]![1]! * m[2]![2]! - m[1]![2]! * m[2]![1]!) -
    m[0]![1]! * (m[1]![0]! * m[2]![2]! - m[1]![2]! * m[2]![0]!) +
    m[0]![2]! * (m[1]![0]! * m[2]![1]! - m[1]![1]! * m[2]![0]!);
  const d = det(a);
  const scale = Math.abs(a[0]![0]! * a[1]![1]! * a[2]![2]!) || 1;
  if (!Number.isFinite(d) || Math.abs(d) < 1e-9 * scale) return null;
  const withColumn = (col: number): number[][] => a.map((row, i) => row.map((v, j) => (j === col ? b[i]! : v)));
  return [det(withColumn(0)) / d, det(withColumn(1)) / d, det(withColumn(2)) / d];
}

/**
 * A fitted circle is believed only if it matches the bright region: centred inside the image, not tiny,
 * nearly all bright pixels inside it and most of its visible area bright. A gradient, a photo of
 * something else or a few scattered blobs fail this and get the fallback instead.
 */
function isPlausibleDisc(circle: Circle, bright: Uint8Array, width: number, height: number): boolean {
  const { cx, cy, radius } = circle;
  if (!(cx >= 0 && cx <= width && cy >= 0 && cy <= height)) return false;
  if (radius < 0.15 * Math.min(width, height) || radius > 0.75 * Math.hypot(width, height)) return false;
  let brightInside = 0;
  let brightOutside = 0;
  let areaInside = 0;
  const r2 = radius * radius;
  for (let y = 0; y < height; y++) {
    const dy = y + 0.5 - cy;
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - cx;
      const inside = dx * dx + dy * dy <= r2;
      const b = bright[y * width + x]!;
      if (inside) {
        areaInside++;
        brightInside += b;
      } else {
        brightOutside += b;
      }
    }
  }
  const brightTotal = brightInside + brightOutside;
  return brightTotal > 0 && brightInside / brightTotal >= 0.9 && brightInside / areaInside >= 0.7;
}

/** Binary opening (erosion, then dilation) with a (2r+1)-pixel square window. */
function openMask(mask: Uint8Array, width: number, height: number, radius: number): Uint8Array {
  const eroded = windowFilter(mask, width, height, radius, (count, area) => count === area);
  return windowFilter(eroded, width, height, radius, (count) => count > 0);
}

/**
 * Sets each pixel from the count of set pixels in the square window around it, via a summed-area
 * table so the cost does not grow with the window. Windows are clipped to the image, so a disc cut
 * off by the frame is not eroded from the frame side.
 */
function windowFilter(mask: Uint8Array, width: number, height: number, radius: number, keep: (count: number, area: number) => boolean): Uint8Array {
  const stride = width + 1;
  const table = new Int32Array(stride * (height + 1));
  for (let y = 0; y < height; y++) {
    let rowSum = 0;
    for (let x = 0; x < width; x++) {
      rowSum += mask[y * width + x]!;
      table[(y + 1) * stride + x + 1] = table[y * stride + x + 1]! + rowSum;
    }
  }
  const out = new Uint8Array(mask.length);
  for (let y = 0; y < height; y++) {
    const y0 = Math.max(0, y - radius);
    const y1 = Math.min(height, y + radius + 1);
    for (let x = 0; x < width; x++) {
      const x0 = Math.max(0, x - radius);
      const x1 = Math.min(width, x + radius + 1);
      const count = table[y1 * stride + x1]! - table[y0 * stride + x1]! - table[y1 * stride + x0]! + table[y0 * stride + x0]!;
      out[y * width + x] = keep(count, (y1 - y0) * (x1 - x0)) ? 1 : 0;
    }
  }
  return out;
}

/** The q-quantile of 8-bit values given as a 256-bin histogram. */
function histogramPercentile(histogram: Uint32Array, q: number): number {
  let total = 0;
  for (const count of histogram) total += count;
  const target = q * total;
  let seen = 0;
  for (let v = 0; v < 256; v++) {
    seen += histogram[v]!;
    if (seen > target) return v;
  }
  return 255;
}

function percentile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.floor(q * (sorted.length - 1))))]!;
}
