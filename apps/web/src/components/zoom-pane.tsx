import { useEffect, useRef, useState, type ReactNode } from 'react';
import type { ZoomState } from '../domain/zoom.ts';

/**
 * An image in a square viewport that zooms (wheel) and pans (drag) with a shared ZoomState, so two panes
 * move together. The image keeps its aspect ratio; `overlay` is drawn in the image's own box.
 */
export function ZoomPane({
  src,
  alt,
  zoom,
  onZoom,
  onPan,
  overlay,
  onImageError,
  testId,
}: {
  src: string;
  alt: string;
  zoom: ZoomState;
  /** factor, and the pointer's position in the pane (fractions) */
  onZoom(factor: number, x: number, y: number): void;
  /** movement in fractions of the pane's side */
  onPan(dx: number, dy: number): void;
  overlay?: ReactNode;
  onImageError?: () => void;
  testId: string;
}) {
  const viewport = useRef<HTMLDivElement>(null);
  const drag = useRef<{ x: number; y: number; id: number } | null>(null);
  const [aspect, setAspect] = useState(1);
  // The wheel zooms the image, not the page: a non-passive listener (React's onWheel cannot preventDefault).
  const zoomRef = useRef(onZoom);
  zoomRef.current = onZoom;
  useEffect(() => {
    const element = viewport.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      event.preventDefault();
      const rect = element.getBoundingClientRect();
      zoomRef.current(Math.exp(-event.deltaY * 0.002), (event.clientX - rect.left) / rect.width, (event.clientY - rect.top) / rect.height);
    };
    element.addEventListener('wheel', onWheel, { passive: false });
    return () => element.removeEventListener('wheel', onWheel);
  }, []);

  return (
    <div
      ref={viewport}
      className="zoom-pane"
      data-testid={testId}
      style={{ touchAction: zoom.scale > 1 ? 'none' : 'pan-y' }}
      onPointerDown={(event) => {
        drag.current = { x: event.clientX, y: event.clientY, id: event.pointerId };
        event.currentTarget.setPointerCapture(event.pointerId);
      }}
      onPointerMove={(event) => {
        const start = drag.current;
        if (!start || start.id !== event.pointerId) return;
        const rect = event.currentTarget.getBoundingClientRect();
        onPan((event.clientX - start.x) / rect.width, (event.clientY - start.y) / rect.height);
        drag.current = { ...start, x: event.clientX, y: event.clientY };
      }}
      onPointerUp={() => (drag.current = null)}
      onPointerCancel={() => (drag.current = null)}
    >
      <div
        className="zoom-pane__stage"
        data-testid="zoom-stage"
        data-zoom={zoom.scale.toFixed(2)}
        data-pan={`${zoom.x.toFixed(3)},${zoom.y.toFixed(3)}`}
        style={{ transform: `translate(${zoom.x * 100}%, ${zoom.y * 100}%) scale(${zoom.scale})` }}
      >
        <div
          className="zoom-pane__frame"
          style={aspect >= 1 ? { width: '100%', aspectRatio: String(aspect) } : { height: '100%', aspectRatio: String(aspect) }}
        >
          <img
            src={src}
            alt={alt}
            draggable={false}
            onLoad={(event) => setAspect(event.currentTarget.naturalWidth / event.currentTarget.naturalHeight || 1)}
            onError={onImageError}
          />
          {overlay}
        </div>
      </div>
    </div>
  );
}
