import { describe, expect, it } from 'vitest';
import { describeRegion, isUsableRegion, MIN_REGION_FRACTION, moveRegion, regionFromPoints, resizeRegion } from './search-region.ts';

describe('search regions on the page', () => {
  it('spans two points in any order, clamped to the photograph', () => {
    expect(regionFromPoints({ x: 0.8, y: 0.9 }, { x: 0.2, y: 0.1 })).toEqual({ x: 0.2, y: 0.1, width: 0.6, height: 0.8 });
    expect(regionFromPoints({ x: -0.5, y: 0.5 }, { x: 1.5, y: 2 })).toEqual({ x: 0, y: 0.5, width: 1, height: 0.5 });
  });

  it('moves and resizes within the photograph, never below the smallest size', () => {
    const region = { x: 0.6, y: 0.1, width: 0.3, height: 0.3 };
    expect(moveRegion(region, 0.5, -0.5)).toEqual({ x: 0.7, y: 0, width: 0.3, height: 0.3 });
    expect(resizeRegion(region, 0.5, 0.02)).toEqual({ x: 0.6, y: 0.1, width: 0.4, height: 0.32 });
    expect(resizeRegion(region, -1, -1)).toMatchObject({ width: MIN_REGION_FRACTION, height: MIN_REGION_FRACTION });
  });

  it('treats a click without a drag as no region, and says where a region is', () => {
    expect(isUsableRegion(regionFromPoints({ x: 0.5, y: 0.5 }, { x: 0.51, y: 0.5 }))).toBe(false);
    expect(describeRegion({ x: 0.3, y: 0.25, width: 0.5, height: 0.45 })).toBe('50% × 45% of the photograph, 30% from the left and 25% from the top');
  });
});
