import type { Random } from '@cbmir/seeded-random';

/** Where the anatomy of a synthetic retina sits, in canvas pixels. */
export interface RetinaLayout {
  cx: number;
  cy: number;
  radius: number;
  opticX: number;
  opticY: number;
  opticRadius: number;
  foveaX: number;
  foveaY: number;
  /** +1 when the fovea lies to the right of the optic disc, else -1 (which eye, as photographed). */
  temporal: 1 | -1;
}

/**
 * Places the optic disc about half a radius off centre and the fovea roughly 2.5 optic-disc diameters
 * temporal to it, which is where a macula-centred screening photo puts them.
 */
export function createRetinaLayout(rng: Random, cx: number, cy: number, radius: number): RetinaLayout {
  const temporal = rng.next() < 0.5 ? 1 : -1;
  const opticRadius = radius * rng.range(0.1, 0.13);
  const opticX = cx - temporal * radius * rng.range(0.42, 0.52);
  const opticY = cy + radius * rng.range(-0.08, 0.08);
  const foveaX = opticX + temporal * 2.5 * 2 * opticRadius * rng.range(0.9, 1.05);
  const foveaY = opticY + radius * rng.range(0.02, 0.1);
  return { cx, cy, radius, opticX, opticY, opticRadius, foveaX, foveaY, temporal };
}

/** A random point on the retina, away from the optic disc, within maxRho of the radius. */
export function randomRetinaPoint(rng: Random, layout: RetinaLayout, maxRho = 0.85): { x: number; y: number } {
  for (;;) {
    const rho = Math.sqrt(rng.next()) * maxRho * layout.radius;
    const theta = rng.range(0, 2 * Math.PI);
    const x = layout.cx + rho * Math.cos(theta);
    const y = layout.cy + rho * Math.sin(theta);
    if (Math.hypot(x - layout.opticX, y - layout.opticY) > 1.4 * layout.opticRadius) return { x, y };
  }
}
