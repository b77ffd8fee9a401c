import type { Random } from '@cbmir/seeded-random';
import type { RetinaLayout } from './synthetic-retina-layout.ts';

/** One straight piece of a vessel, in canvas pixels. */
export interface VesselSegment {
  x0: number;
  y0: number;
  x1: number;
  y1: number;
  thickness: number;
  /** Opacity of the vessel colour: veins are darker than arteries. */
  strength: number;
}

export interface VesselGrowth {
  x: number;
  y: number;
  angle: number;
  thickness: number;
  strength: number;
  /** Steady turn per step in radians; it is what bends the temporal arcades around the macula. */
  curvature: number;
  /** Random turn per step (standard deviation, radians): small for arcades, large for new vessels. */
  wiggle: number;
  branchProbability: number;
  maxDepth: number;
  maxSteps: number;
}

/**
 * The retinal tree: four arcades (superior/inferior, temporal/nasal) leave the optic disc as a vein
 * and an artery each, the temporal ones curving around the macula as they do in a real eye, plus a
 * few small vessels in random directions. Grown as random walks with branching, so every seed differs.
 */
export function growRetinalVessels(rng: Random, layout: RetinaLayout): VesselSegment[] {
  const segments: VesselSegment[] = [];
  const r = layout.radius;
  const t = layout.temporal;
  const arcades = [
    // [initial angle, curvature per step, relative length]
    [Math.atan2(-1, t * 0.35), t * 0.035, 1],
    [Math.atan2(1, t * 0.35), -t * 0.035, 1],
    [Math.atan2(-0.7, -t), -t * 0.01, 0.6],
    [Math.atan2(0.7, -t), t * 0.01, 0.6],
  ] as const;
  for (const [angle, curvature, length] of arcades) {
    for (const [thickness, strength, offset] of [
      [0.032, 0.72, 0.12],
      [0.023, 0.5, -0.12],
    ] as const) {
      growVessel(rng, layout, segments, {
        x: layout.opticX,
        y: layout.opticY,
        angle: angle + offset * t + rng.normal() * 0.08,
        thickness: thickness * r * rng.range(0.9, 1.1),
        strength,
        curvature: curvature * rng.range(0.8, 1.2),
        wiggle: 0.1,
        branchProbability: 0.07,
        maxDepth: 3,
        maxSteps: Math.round(55 * length),
      });
    }
  }
  const smallVessels = rng.int(4, 7);
  for (let i = 0; i < smallVessels; i++) {
    growVessel(rng, layout, segments, {
      x: layout.opticX,
      y: layout.opticY,
      angle: rng.range(-Math.PI, Math.PI),
      thickness: 0.012 * r,
      strength: 0.45,
      curvature: 0,
      wiggle: 0.15,
      branchProbability: 0.05,
      maxDepth: 1,
      maxSteps: rng.int(8, 20),
    });
  }
  return segments;
}

/** Grows one vessel (and, recursively, its branches) until it thins out or leaves the retina. */
export function growVessel(rng: Random, layout: RetinaLayout, segments: VesselSegment[], growth: VesselGrowth): void {
  const step = 0.025 * layout.radius;
  const minThickness = 0.004 * layout.radius;
  let { x, y, angle, thickness } = growth;
  for (let i = 0; i < growth.maxSteps && thickness >= minThickness; i++) {
    angle += growth.curvature + rng.normal() * growth.wiggle;
    const nx = x + Math.cos(angle) * step;
    const ny = y + Math.sin(angle) * step;
    if (Math.hypot(nx - layout.cx, ny - layout.cy) > 0.98 * layout.radius) return;
    // Real vessels stop short of the fovea (the foveal avascular zone).
    if (Math.hypot(nx - layout.foveaX, ny - layout.foveaY) < 0.12 * layout.radius) return;
    segments.push({ x0: x, y0: y, x1: nx, y1: ny, thickness, strength: growth.strength });
    x = nx;
    y = ny;
    thickness *= 0.985;
    if (growth.maxDepth > 0 && i > 2 && rng.next() < growth.branchProbability) {
      const side = rng.next() < 0.5 ? -1 : 1;
      growVessel(rng, layout, segments, {
        ...growth,
        x,
        y,
        angle: angle + side * rng.range(0.4, 0.9),
        thickness: thickness * 0.7,
        curvature: growth.curvature * 0.5,
        maxDepth: growth.maxDepth - 1,
        maxSteps: Math.round(growth.maxSteps * 0.6),
      });
      thickness *= 0.88;
    }
  }
}
