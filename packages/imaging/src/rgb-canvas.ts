// Math.sqrt rather than Math.hypot in the per-pixel loops: hypot is several times slower in V8 and
// these loops dominate the time to paint a synthetic image.

/** An RGB colour with channels on the 0-255 scale (fractional values allowed while painting). */
export type Rgb = readonly [number, number, number];

/**
 * A float RGB drawing surface for the synthetic fundus renderer. Painting in floats and rounding once
 * at the end avoids the banding that repeated 8-bit blends would give the smooth retinal shading.
 */
export class RgbCanvas {
  readonly width: number;
  readonly height: number;
  readonly data: Float32Array;

  constructor(width: number, height: number) {
    this.width = width;
    this.height = height;
    this.data = new Float32Array(width * height * 3);
  }

  /** Blends colour into pixel (x, y) with opacity alpha in [0, 1]. */
  blend(x: number, y: number, colour: Rgb, alpha: number): void {
    if (alpha <= 0) return;
    const a = Math.min(alpha, 1);
    const i = (y * this.width + x) * 3;
    const d = this.data;
    d[i] = d[i]! + (colour[0] - d[i]!) * a;
    d[i + 1] = d[i + 1]! + (colour[1] - d[i + 1]!) * a;
    d[i + 2] = d[i + 2]! + (colour[2] - d[i + 2]!) * a;
  }

  /**
   * A filled circle. 'hard' has a one-pixel anti-aliased edge (dots, exudates); 'soft' falls off like a
   * Gaussian (cotton-wool spots, which have no sharp border). clipAboveY cuts the shape off above a
   * horizontal line, which is how a pre-retinal haemorrhage settles into a boat shape.
   */
  fillCircle(cx: number, cy: number, radius: number, colour: Rgb, opacity: number, profile: 'hard' | 'soft' = 'hard', clipAboveY = -Infinity): void {
    const reach = profile === 'soft' ? radius * 1.6 : radius + 1;
    const x0 = Math.max(0, Math.floor(cx - reach));
    const x1 = Math.min(this.width - 1, Math.ceil(cx + reach));
    const y0 = Math.max(0, Math.floor(Math.max(cy - reach, clipAboveY - 0.5)));
    const y1 = Math.min(this.height - 1, Math.ceil(cy + reach));
    for (let y = y0; y <= y1; y++) {
      const py = y + 0.5;
      const clip = Math.min(1, Math.max(0, py - clipAboveY + 0.5));
      for (let x = x0; x <= x1; x++) {
        const px = x + 0.5;
        const d = Math.sqrt((px - cx) ** 2 + (py - cy) ** 2);
        const coverage = profile === 'soft' ? Math.exp(-2 * (d / radius) ** 2) : Math.min(1, Math.max(0, radius - d + 0.5));
        this.blend(x, y, colour, opacity * coverage * clip);
      }
    }
  }
}

/** Segment with round caps, drawn into a coverage map (max-combined) rather than a colour canvas. */
export function strokeSegment(
  coverage: Float32Array,
  width: number,
  height: number,
  x0: number,
  y0: number,
  x1: number,
  y1: number,
  thickness: number,
  strength: number,
): void {
  const half = thickness / 2;
  const minX = Math.max(0, Math.floor(Math.min(x0, x1) - half - 1));
  const maxX = Math.min(width - 1, Math.ceil(Math.max(x0, x1) + half + 1));
  const minY = Math.max(0, Math.floor(Math.min(y0, y1) - half - 1));
  const maxY = Math.min(height - 1, Math.ceil(Math.max(y0, y1) + half + 1));
  const dx = x1 - x0;
  const dy = y1 - y0;
  const lengthSq = dx * dx + dy * dy || 1;
  // Sub-pixel vessels would vanish entirely; draw them one pixel wide but fainter instead.
  const drawnHalf = Math.max(half, 0.5);
  const fade = Math.min(1, thickness);
  for (let y = minY; y <= maxY; y++) {
    const py = y + 0.5;
    for (let x = minX; x <= maxX; x++) {
      const px = x + 0.5;
      const t = Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / lengthSq));
      const ex = px - (x0 + t * dx);
      const ey = py - (y0 + t * dy);
      const d = Math.sqrt(ex * ex + ey * ey);
      const c = Math.min(1, Math.max(0, drawnHalf - d + 0.5)) * strength * fade;
      const i = y * width + x;
      if (c > coverage[i]!) coverage[i] = c;
    }
  }
}
