import type { SearchRegion } from '@cbmir/contract';

/** Smallest side the page lets a drawn rectangle shrink to, as a fraction (the server also checks pixels). */
export const MIN_REGION_FRACTION = 0.05;

/** Step of a keyboard move or resize, as a fraction of the photograph. */
export const REGION_STEP = 0.02;

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
const round = (value: number) => Math.round(value * 10_000) / 10_000;
const tidy = (region: SearchRegion): SearchRegion => ({ x: round(region.x), y: round(region.y), width: round(region.width), height: round(region.height) });

/** The rectangle spanned by two points (fractions, in any order), inside the photograph. */
export function regionFromPoints(a: { x: number; y: number }, b: { x: number; y: number }): SearchRegion {
  const x1 = clamp(Math.min(a.x, b.x), 0, 1);
  const y1 = clamp(Math.min(a.y, b.y), 0, 1);
  const x2 = clamp(Math.max(a.x, b.x), 0, 1);
  const y2 = clamp(Math.max(a.y, b.y), 0, 1);
  return tidy({ x: x1, y: y1, width: x2 - x1, height: y2 - y1 });
}

/** Moved by (dx, dy), kept inside the photograph. */
export function moveRegion(region: SearchRegion, dx: number, dy: number): SearchRegion {
  return tidy({ ...region, x: clamp(region.x + dx, 0, 1 - region.width), y: clamp(region.y + dy, 0, 1 - region.height) });
}

/** Grown or shrunk by (dw, dh) from its top-left corner, no smaller than MIN_REGION_FRACTION, inside the photograph. */
export function resizeRegion(region: SearchRegion, dw: number, dh: number): SearchRegion {
  return tidy({
    ...region,
    width: clamp(region.width + dw, MIN_REGION_FRACTION, 1 - region.x),
    height: clamp(region.height + dh, MIN_REGION_FRACTION, 1 - region.y),
  });
}

/** Whether a drawn rectangle is big enough to search (a click without a drag is not). */
export function isUsableRegion(region: SearchRegion): boolean {
  return region.width >= MIN_REGION_FRACTION && region.height >= MIN_REGION_FRACTION;
}

/** The centre half of the photograph: where a region starts when none was drawn yet. */
export const DEFAULT_REGION: SearchRegion = Object.freeze({ x: 0.25, y: 0.25, width: 0.5, height: 0.5 });

const percent = (value: number) => `${Math.round(value * 100)}%`;

/** "50% × 45% at 30%, 25% from the top left", for people and screen readers. */
export function describeRegion(region: SearchRegion): string {
  return `${percent(region.width)} × ${percent(region.height)} of the photograph, ${percent(region.x)} from the left and ${percent(region.y)} from the top`;
}
