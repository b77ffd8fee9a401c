import { createRandom, mixSeed, type Random } from '@cbmir/seeded-random';

/** The paper's augmentations, applied to a preprocessed image (HWC RGB floats, neutral grey = 0). */
export interface AugmentationOptions {
  /** Largest random offset of the crop, as a fraction of the side (0.1 = up to 10% each way). */
  maxOffset: number;
  /** Random zoom of the crop: scale drawn from [1 - maxZoom, 1 + maxZoom]. */
  maxZoom: number;
  /** Rotate by a uniform angle in 0-360 degrees. */
  rotate: boolean;
  flipHorizontal: boolean;
  flipVertical: boolean;
  /** Probability of a Gaussian blur, and its largest sigma in pixels. */
  blurProbability: number;
  maxBlurSigma: number;
}

export const DEFAULT_AUGMENTATION: AugmentationOptions = Object.freeze({
  maxOffset: 0.05,
  maxZoom: 0.1,
  rotate: true,
  flipHorizontal: true,
  flipVertical: true,
  blurProbability: 0.3,
  maxBlurSigma: 1.5,
});

/** The random draw of one augmentation, kept so tests and logs can say what was done. */
export interface AugmentationDraw {
  angle: number;
  scale: number;
  dx: number;
  dy: number;
  flipX: boolean;
  flipY: boolean;
  blurSigma: number;
}

export function drawAugmentation(random: Random, size: number, options: AugmentationOptions = DEFAULT_AUGMENTATION): AugmentationDraw {
  return {
    angle: options.rotate ? random.range(0, 2 * Math.PI) : 0,
    scale: 1 + random.range(-options.maxZoom, options.maxZoom),
    dx: random.range(-options.maxOffset, options.maxOffset) * size,
    dy: random.range(-options.maxOffset, options.maxOffset) * size,
    flipX: options.flipHorizontal && random.next() < 0.5,
    flipY: options.flipVertical && random.next() < 0.5,
    blurSigma: random.next() < options.blurProbability ? random.range(0.3, options.maxBlurSigma) : 0,
  };
}

/**
 * One geometric pass (rotation, zoom, offset crop and flips as a single inverse affine map with bilinear
 * sampling, so the image is resampled once) and an optional separable Gaussian blur. Pixels that come from
 * outside the image are neutral (0), like the preprocessing's own background.
 */
export function applyAugmentation(image: Float32Array, size: number, draw: AugmentationDraw): Float32Array {
  if (image.length !== size * size * 3) throw new RangeError(`expected ${size}x${size}x3 values, got ${image.length}`);
  const out = new Float32Array(image.length);
  const c = (size - 1) / 2;
  const cos = Math.cos(draw.angle) / draw.scale;
  const sin = Math.sin(draw.angle) / draw.scale;
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      // Output pixel -> source pixel: undo flip, offset, then rotation and zoom about the centre.
      const ox = (draw.flipX ? size - 1 - x : x) - c - draw.dx;
      const oy = (draw.flipY ? size - 1 - y : y) - c - draw.dy;
      const sx = cos * ox + sin * oy + c;
      const sy = -sin * ox + cos * oy + c;
      const x0 = Math.floor(sx);
      const y0 = Math.floor(sy);
      if (x0 < -1 || y0 < -1 || x0 >= size || y0 >= size) continue;
      const fx = sx - x0;
      const fy = sy - y0;
      const o = (y * size + x) * 3;
      for (let ch = 0; ch < 3; ch++) {
        const at = (xx: number, yy: number) => (xx < 0 || yy < 0 || xx >= size || yy >= size ? 0 : image[(yy * size + xx) * 3 + ch]!);
        out[o + ch] = (1 - fy) * ((1 - fx) * at(x0, y0) + fx * at(x0 + 1, y0)) + fy * ((1 - fx) * at(x0, y0 + 1) + fx * at(x0 + 1, y0 + 1));
      }
    }
  }
  return draw.blurSigma > 0 ? gaussianBlur(out, size, draw.blurSigma) : out;
}

/** A reproducible augmentation of one image: the same (seed, image index, epoch) always gives the same result. */
export function augmentPreprocessed(image: Float32Array, size: number, seed: number, options: AugmentationOptions = DEFAULT_AUGMENTATION): Float32Array {
  return applyAugmentation(image, size, drawAugmentation(createRandom(mixSeed(mixSeed(seed))), size, options));
}

function gaussianBlur(image: Float32Array, size: number, sigma: number): Float32Array {
  const radius = Math.max(1, Math.ceil(3 * sigma));
  const kernel = Array.from({ length: 2 * radius + 1 }, (_, i) => Math.exp(-((i - radius) ** 2) / (2 * sigma * sigma)));
  const sum = kernel.reduce((a, b) => a + b, 0);
  for (let i = 0; i < kernel.length; i++) kernel[i]! /= sum;
  const pass = (src: Float32Array, horizontal: boolean) => {
    const dst = new Float32Array(src.length);
    for (let y = 0; y < size; y++) {
      for (let x = 0; x < size; x++) {
        for (let ch = 0; ch < 3; ch++) {
          let acc = 0;
          for (let k = -radius; k <= radius; k++) {
            // Clamp at the edges so the border does not darken.
            const xx = horizontal ? Math.min(size - 1, Math.max(0, x + k)) : x;
            const yy = horizontal ? y : Math.min(size - 1, Math.max(0, y + k));
            acc += kernel[k + radius]! * src[(yy * size + xx) * 3 + ch]!;
          }
          dst[(y * size + x) * 3 + ch] = acc;
        }
      }
    }
    return dst;
  };
  return pass(pass(image, true), false);
}
