import sharp from 'sharp';
import { createRandom, mixSeed, type Random } from '@cbmir/seeded-random';
import { RgbCanvas, strokeSegment, type Rgb } from './rgb-canvas.ts';
import { lesionsForGrade, type Lesion } from './synthetic-lesions.ts';
import { createRetinaLayout, type RetinaLayout } from './synthetic-retina-layout.ts';
import { growRetinalVessels } from './synthetic-vessels.ts';

export type FundusGrade = 0 | 1 | 2 | 3 | 4;

export interface SyntheticFundusOptions {
  seed: number;
  grade: FundusGrade;
  /** Side of the square image when width/height are not given. Default 256, like the EyePACS dev set. */
  size?: number;
  /** Optional non-square canvas with black borders around the disc, to mimic a camera frame. */
  width?: number;
  height?: number;
}

/** Where the retina lies in a synthetic image; an image of width W spans x in [0, W]. */
export interface SyntheticFundusGeometry {
  width: number;
  height: number;
  cx: number;
  cy: number;
  radius: number;
}

export const DEFAULT_SYNTHETIC_SIZE = 256;
/** Disc radius as a fraction of the shorter side: the whole disc is visible with a thin black margin. */
const DISC_RADIUS_FRACTION = 0.46;
/** Larger canvases are painted at this size and upscaled, so a camera-sized frame still renders fast. */
const MAX_PAINT_SIDE = 1024;

/**
 * The exact disc geometry of the image generateSyntheticFundus makes for these options, so tests can
 * check the disc finder against ground truth. The disc is nudged off centre by a seeded amount, as in
 * real photos where the camera is never perfectly aligned.
 */
export function syntheticFundusGeometry(options: SyntheticFundusOptions): SyntheticFundusGeometry {
  const size = options.size ?? DEFAULT_SYNTHETIC_SIZE;
  const width = options.width ?? size;
  const height = options.height ?? size;
  for (const [name, value] of [
    ['size', size],
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(value) || value < 32 || value > 10_000) {
      throw new RangeError(`Synthetic fundus ${name} must be an integer in [32, 10000], got ${value}`);
    }
  }
  if (![0, 1, 2, 3, 4].includes(options.grade)) {
    throw new RangeError(`Synthetic fundus grade must be 0-4, got ${options.grade}`);
  }
  const radius = DISC_RADIUS_FRACTION * Math.min(width, height);
  const rng = createRandom(mixSeed(mixSeed(options.seed, 0x9e0)));
  const cx = width / 2 + (rng.next() - 0.5) * 0.5 * (width - 2 * radius);
  const cy = height / 2 + (rng.next() - 0.5) * 0.5 * (height - 2 * radius);
  return { width, height, cx, cy, radius };
}

/**
 * A plausible fundus photograph made from scratch: black background, an orange-red retina darkening
 * towards its rim, a bright optic disc, a darker macula, branching vessels and, with rising grade,
 * microaneurysms, haemorrhages, exudates, cotton-wool spots and new vessels. Deterministic per seed;
 * the same seed at different grades shows the same eye with more disease. Returns JPEG bytes.
 *
 * These images let tests, the demo and CI run without any patient data; they are not a substitute for
 * real photographs when measuring retrieval quality.
 */
export async function generateSyntheticFundus(options: SyntheticFundusOptions): Promise<Buffer> {
  const geometry = syntheticFundusGeometry(options);
  const scale = Math.min(1, MAX_PAINT_SIDE / Math.max(geometry.width, geometry.height));
  const paintWidth = Math.max(1, Math.round(geometry.width * scale));
  const paintHeight = Math.max(1, Math.round(geometry.height * scale));
  const sx = paintWidth / geometry.width;
  const sy = paintHeight / geometry.height;

  const anatomy = createRandom(mixSeed(mixSeed(options.seed, 0)));
  const layout = createRetinaLayout(anatomy, geometry.cx * sx, geometry.cy * sy, (geometry.radius * (sx + sy)) / 2);
  const canvas = new RgbCanvas(paintWidth, paintHeight);
  paintRetina(canvas, layout, anatomy);

  const lesions = lesionsForGrade(options.seed, options.grade, layout);
  // Intra-retinal lesions lie beneath the vessels; new vessels and pre-retinal blood lie on top.
  paintLesions(
    canvas,
    lesions.filter((l) => l.kind !== 'new-vessels' && l.kind !== 'preretinal-haemorrhage'),
  );
  paintVessels(canvas, growRetinalVessels(anatomy, layout));
  paintLesions(
    canvas,
    lesions.filter((l) => l.kind === 'new-vessels' || l.kind === 'preretinal-haemorrhage'),
  );

  const pixels = maskToDisc(canvas, layout, anatomy);
  let image = sharp(pixels, { raw: { width: paintWidth, height: paintHeight, channels: 3 } });
  if (paintWidth !== geometry.width || paintHeight !== geometry.height) {
    image = image.resize(geometry.width, geometry.height, { fit: 'fill' });
  }
  return image.jpeg({ quality: 90 }).toBuffer();
}

/** Base retina: pigment colour, vignetting, slow illumination changes, optic disc and macula. */
function paintRetina(canvas: RgbCanvas, layout: RetinaLayout, rng: Random): void {
  const pigment = rng.range(0.82, 1.08);
  const base: Rgb = [rng.range(195, 225) * pigment, rng.range(78, 105) * pigment, rng.range(30, 55) * pigment];
  const opticColour: Rgb = [250, rng.range(200, 225), rng.range(140, 170)];
  const cupColour: Rgb = [255, 242, 210];
  // A few plane waves give the uneven illumination of a real flash photo. Like everything else they
  // are laid out relative to the disc, so one seed draws the same eye at any size or position.
  const waves = Array.from({ length: 3 }, () => ({
    kx: rng.normal() * (2.5 / layout.radius),
    ky: rng.normal() * (2.5 / layout.radius),
    phase: rng.range(0, 2 * Math.PI),
    amplitude: rng.range(0.02, 0.06),
  }));

  const { width, height, data } = canvas;
  const reach = layout.radius + 1;
  const y0 = Math.max(0, Math.floor(layout.cy - reach));
  const y1 = Math.min(height - 1, Math.ceil(layout.cy + reach));
  const x0 = Math.max(0, Math.floor(layout.cx - reach));
  const x1 = Math.min(width - 1, Math.ceil(layout.cx + reach));
  for (let y = y0; y <= y1; y++) {
    const py = y + 0.5;
    for (let x = x0; x <= x1; x++) {
      const px = x + 0.5;
      const dx = px - layout.cx;
      const dy = py - layout.cy;
      const rho = Math.sqrt(dx * dx + dy * dy) / layout.radius;
      if (rho > 1.02) continue;
      let light = 1 - 0.4 * rho * rho - 0.15 * rho ** 6;
      for (const w of waves) light += w.amplitude * Math.sin(w.kx * dx + w.ky * dy + w.phase);
      const fx = px - layout.foveaX;
      const fy = py - layout.foveaY;
      const fovea2 = (fx * fx + fy * fy) / (0.17 * layout.radius) ** 2;
      const macula = 1 - 0.35 * Math.exp(-fovea2);
      const i = (y * width + x) * 3;
      data[i] = base[0] * light * (0.5 + 0.5 * macula);
      data[i + 1] = base[1] * light * macula;
      data[i + 2] = base[2] * light * macula;

      const ox = px - layout.opticX;
      const oy = py - layout.opticY;
      const optic = Math.sqrt(ox * ox + oy * oy) / layout.opticRadius;
      if (optic < 1.15) {
        canvas.blend(x, y, opticColour, smoothstep(1.15, 0.8, optic));
        canvas.blend(x, y, cupColour, 0.8 * smoothstep(0.55, 0.25, optic));
      }
    }
  }
}

function paintVessels(canvas: RgbCanvas, segments: ReturnType<typeof growRetinalVessels>): void {
  const coverage = new Float32Array(canvas.width * canvas.height);
  for (const s of segments) {
    strokeSegment(coverage, canvas.width, canvas.height, s.x0, s.y0, s.x1, s.y1, s.thickness, s.strength);
  }
  // Vessels darken the retina beneath them towards deep red, rather than painting one flat colour,
  // so they stay visible across the vignetted rim.
  const { data } = canvas;
  for (let p = 0; p < coverage.length; p++) {
    const c = coverage[p]!;
    if (c <= 0) continue;
    const i = p * 3;
    data[i] = data[i]! * (1 - 0.45 * c);
    data[i + 1] = data[i + 1]! * (1 - 0.7 * c);
    data[i + 2] = data[i + 2]! * (1 - 0.6 * c);
  }
}

const LESION_STYLE: Record<Exclude<Lesion['kind'], 'new-vessels'>, { colour: Rgb; opacity: number; soft: boolean }> = {
  microaneurysm: { colour: [105, 14, 12], opacity: 0.95, soft: false },
  haemorrhage: { colour: [100, 16, 12], opacity: 0.9, soft: false },
  exudate: { colour: [238, 218, 100], opacity: 0.92, soft: false },
  'cotton-wool': { colour: [228, 215, 195], opacity: 0.65, soft: true },
  'preretinal-haemorrhage': { colour: [78, 8, 6], opacity: 0.95, soft: false },
};

function paintLesions(canvas: RgbCanvas, lesions: Lesion[]): void {
  for (const lesion of lesions) {
    if (lesion.kind === 'new-vessels') {
      const coverage = new Float32Array(canvas.width * canvas.height);
      for (const s of lesion.segments) {
        strokeSegment(coverage, canvas.width, canvas.height, s.x0, s.y0, s.x1, s.y1, s.thickness, s.strength);
      }
      const colour: Rgb = [135, 22, 20];
      for (let p = 0; p < coverage.length; p++) {
        if (coverage[p]! > 0) canvas.blend(p % canvas.width, Math.floor(p / canvas.width), colour, coverage[p]!);
      }
      continue;
    }
    const style = LESION_STYLE[lesion.kind];
    // Blood settles: the pre-retinal haemorrhage has a flat upper edge (a "boat" shape).
    const clip = lesion.kind === 'preretinal-haemorrhage' ? lesion.y - 0.35 * lesion.radius : -Infinity;
    canvas.fillCircle(lesion.x, lesion.y, lesion.radius, style.colour, style.opacity, style.soft ? 'soft' : 'hard', clip);
  }
}

/** Keeps the retina inside its anti-aliased circle, black elsewhere, plus faint sensor noise. */
function maskToDisc(canvas: RgbCanvas, layout: RetinaLayout, rng: Random): Uint8Array {
  const { width, height, data } = canvas;
  const out = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++) {
    const py = y + 0.5;
    for (let x = 0; x < width; x++) {
      const dx = x + 0.5 - layout.cx;
      const d = Math.sqrt(dx * dx + (py - layout.cy) ** 2);
      const inside = Math.min(1, Math.max(0, layout.radius - d + 0.5));
      const i = (y * width + x) * 3;
      const noise = (rng.next() - 0.5) * 4;
      for (let c = 0; c < 3; c++) {
        const v = data[i + c]! * inside + noise + 2;
        out[i + c] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
      }
    }
  }
  return out;
}

function smoothstep(edge0: number, edge1: number, x: number): number {
  const t = Math.min(1, Math.max(0, (x - edge0) / (edge1 - edge0)));
  return t * t * (3 - 2 * t);
}
