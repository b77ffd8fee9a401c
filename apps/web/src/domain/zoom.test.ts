import { describe, expect, it } from 'vitest';
import { MAX_SCALE, panBy, UNZOOMED, zoomAt } from './zoom.ts';

describe('zoom and pan', () => {
  it('zooms about the point under the pointer', () => {
    const zoomed = zoomAt(UNZOOMED, 2, 0.25, 0.75);
    expect(zoomed).toEqual({ scale: 2, x: -0.25, y: -0.75 });
    // The image point under (0.25, 0.75) is still (0.25, 0.75) of the image.
    expect((0.25 - zoomed.x) / zoomed.scale).toBeCloseTo(0.25);
    expect((0.75 - zoomed.y) / zoomed.scale).toBeCloseTo(0.75);
  });

  it('stays between 1x and the maximum, and unzoomed has nothing to pan', () => {
    expect(zoomAt(UNZOOMED, 0.5)).toEqual(UNZOOMED);
    expect(zoomAt({ scale: 6, x: 0, y: 0 }, 4).scale).toBe(MAX_SCALE);
    expect(panBy(UNZOOMED, 0.3, -0.3)).toEqual(UNZOOMED);
  });

  it('pans only as far as the image reaches', () => {
    const zoomed = zoomAt(UNZOOMED, 2);
    expect(zoomed).toEqual({ scale: 2, x: -0.5, y: -0.5 });
    expect(panBy(zoomed, 0.2, 0)).toEqual({ scale: 2, x: -0.3, y: -0.5 });
    expect(panBy(zoomed, 5, -5)).toEqual({ scale: 2, x: 0, y: -1 });
  });
});
