import { createRandom, mixSeed, type Random } from '@cbmir/seeded-random';
import { randomRetinaPoint, type RetinaLayout } from './synthetic-retina-layout.ts';
import { growVessel, type VesselSegment } from './synthetic-vessels.ts';

export type SpotLesionKind = 'microaneurysm' | 'haemorrhage' | 'exudate' | 'cotton-wool' | 'preretinal-haemorrhage';

export type Lesion = { kind: SpotLesionKind; x: number; y: number; radius: number } | { kind: 'new-vessels'; segments: VesselSegment[] };

/**
 * The lesions of a retina at a given diabetic retinopathy grade, loosely following the international
 * clinical scale: mild adds microaneurysms; moderate adds haemorrhages and hard exudates; severe adds
 * many more haemorrhages and cotton-wool spots; proliferative adds new vessels and a pre-retinal bleed.
 *
 * Each level draws from its own random stream and higher grades keep every lesion of the lower ones,
 * so for one seed the grades form a progression of the same eye and differ only in the added disease.
 */
export function lesionsForGrade(seed: number, grade: number, layout: RetinaLayout): Lesion[] {
  const lesions: Lesion[] = [];
  for (let level = 1; level <= grade; level++) {
    addLevel(level, createRandom(mixSeed(mixSeed(seed, 0x1e5, level))), layout, lesions);
  }
  return lesions;
}

function addLevel(level: number, rng: Random, layout: RetinaLayout, out: Lesion[]): void {
  const r = layout.radius;
  const spots = (kind: SpotLesionKind, count: number, minRadius: number, maxRadius: number): void => {
    for (let i = 0; i < count; i++) {
      const { x, y } = randomRetinaPoint(rng, layout);
      out.push({ kind, x, y, radius: r * rng.range(minRadius, maxRadius) });
    }
  };
  // Blot haemorrhages are irregular: a few overlapping blobs read as one blotch.
  const blotches = (count: number, minRadius: number, maxRadius: number): void => {
    for (let i = 0; i < count; i++) {
      const centre = randomRetinaPoint(rng, layout);
      const size = r * rng.range(minRadius, maxRadius);
      const parts = rng.int(1, 3);
      for (let p = 0; p < parts; p++) {
        out.push({
          kind: 'haemorrhage',
          x: centre.x + rng.normal() * size * 0.5,
          y: centre.y + rng.normal() * size * 0.5,
          radius: size * rng.range(0.6, 1),
        });
      }
    }
  };
  // Hard exudates gather in clusters (often rings) around the macula.
  const exudateClusters = (count: number): void => {
    for (let c = 0; c < count; c++) {
      const angle = rng.range(0, 2 * Math.PI);
      const distance = r * rng.range(0.08, 0.4);
      const clusterX = layout.foveaX + Math.cos(angle) * distance;
      const clusterY = layout.foveaY + Math.sin(angle) * distance;
      const spread = r * rng.range(0.03, 0.07);
      const dots = rng.int(5, 10);
      for (let i = 0; i < dots; i++) {
        out.push({
          kind: 'exudate',
          x: clusterX + rng.normal() * spread,
          y: clusterY + rng.normal() * spread,
          radius: r * rng.range(0.008, 0.018),
        });
      }
    }
  };

  switch (level) {
    case 1:
      spots('microaneurysm', rng.int(4, 8), 0.01, 0.016);
      break;
    case 2:
      spots('microaneurysm', rng.int(6, 12), 0.01, 0.016);
      blotches(rng.int(3, 6), 0.018, 0.035);
      exudateClusters(rng.int(1, 2));
      break;
    case 3:
      spots('microaneurysm', rng.int(6, 10), 0.01, 0.016);
      blotches(rng.int(10, 16), 0.025, 0.05);
      exudateClusters(rng.int(2, 3));
      spots('cotton-wool', rng.int(2, 4), 0.05, 0.08);
      break;
    case 4: {
      blotches(rng.int(5, 8), 0.025, 0.05);
      exudateClusters(rng.int(1, 2));
      const tufts = rng.int(2, 3);
      for (let i = 0; i < tufts; i++) {
        // The first tuft grows on the optic disc (NVD), the others elsewhere (NVE).
        const start = i === 0 ? { x: layout.opticX, y: layout.opticY } : randomRetinaPoint(rng, layout, 0.7);
        const segments: VesselSegment[] = [];
        growVessel(rng, layout, segments, {
          x: start.x,
          y: start.y,
          angle: rng.range(-Math.PI, Math.PI),
          thickness: 0.008 * r,
          strength: 0.85,
          curvature: rng.range(-0.3, 0.3),
          wiggle: 0.6,
          branchProbability: 0.25,
          maxDepth: 2,
          maxSteps: rng.int(12, 20),
        });
        out.push({ kind: 'new-vessels', segments });
      }
      if (rng.next() < 0.8) {
        const { x, y } = randomRetinaPoint(rng, layout, 0.6);
        out.push({ kind: 'preretinal-haemorrhage', x, y, radius: r * rng.range(0.08, 0.14) });
      }
      break;
    }
  }
}
