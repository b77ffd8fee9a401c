/**
 * The zoom and pan both compare panes share. Translation is in fractions of a pane's side, so panes of
 * any size show the same part of their image; the image is scaled from the pane's top-left corner.
 */
export interface ZoomState {
  scale: number;
  x: number;
  y: number;
}

export const MIN_SCALE = 1;
export const MAX_SCALE = 8;
export const UNZOOMED: ZoomState = { scale: 1, x: 0, y: 0 };

/** Keeps the scaled image covering the pane: no empty margin can be dragged into view. */
function clamped(state: ZoomState): ZoomState {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, state.scale));
  const min = 1 - scale;
  return { scale, x: Math.min(0, Math.max(min, state.x)), y: Math.min(0, Math.max(min, state.y)) };
}

/** Zooms by `factor` keeping the point (px, py) of the pane (fractions) over the same image point. */
export function zoomAt(state: ZoomState, factor: number, px = 0.5, py = 0.5): ZoomState {
  const scale = Math.min(MAX_SCALE, Math.max(MIN_SCALE, state.scale * factor));
  const cx = (px - state.x) / state.scale;
  const cy = (py - state.y) / state.scale;
  return clamped({ scale, x: px - cx * scale, y: py - cy * scale });
}

/** Moves the image by (dx, dy), fractions of the pane's side. */
export function panBy(state: ZoomState, dx: number, dy: number): ZoomState {
  return clamped({ ...state, x: state.x + dx, y: state.y + dy });
}
