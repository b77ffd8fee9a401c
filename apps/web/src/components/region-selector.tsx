import type { SearchRegion } from '@cbmir/contract';
import { useId, useRef, useState, type KeyboardEvent, type PointerEvent } from 'react';
import { useSearchSession } from '../api/search-session.tsx';
import { DEFAULT_REGION, describeRegion, isUsableRegion, moveRegion, REGION_STEP, regionFromPoints, resizeRegion } from '../domain/search-region.ts';

/**
 * Refine by region (SMILY's "refine-by-region"): draw a rectangle on the query photograph and search with that part
 * only. Drawn with a mouse, a finger or a pen; with the keyboard, the arrow keys move the rectangle and Shift+arrows
 * resize it, Enter searches it and Escape closes the editor.
 */
export function RegionSelector({
  previewUrl,
  region,
  busy,
  onSearch,
}: {
  previewUrl: string;
  /** The region searched now; null: the whole photograph. */
  region: SearchRegion | null;
  busy: boolean;
  onSearch(region: SearchRegion | null): void;
}) {
  const [editing, setEditing] = useState(false);
  const [draft, setDraft] = useState<SearchRegion>(region ?? DEFAULT_REGION);
  const [drawable, setDrawable] = useState(true);
  const canvas = useRef<HTMLDivElement>(null);
  const box = useRef<HTMLDivElement>(null);
  const start = useRef<{ x: number; y: number } | null>(null);
  const helpId = useId();

  const pointAt = (event: PointerEvent) => {
    const rect = canvas.current!.getBoundingClientRect();
    return { x: (event.clientX - rect.left) / rect.width, y: (event.clientY - rect.top) / rect.height };
  };

  function open() {
    setDraft(region ?? DEFAULT_REGION);
    setEditing(true);
    // The rectangle takes the keyboard at once, so arrow keys work without another Tab.
    requestAnimationFrame(() => box.current?.focus());
  }

  function search() {
    if (!isUsableRegion(draft)) return;
    setEditing(false);
    onSearch(draft);
  }

  function onKeyDown(event: KeyboardEvent) {
    const moves: Record<string, [number, number]> = { ArrowLeft: [-1, 0], ArrowRight: [1, 0], ArrowUp: [0, -1], ArrowDown: [0, 1] };
    const move = moves[event.key];
    if (move) {
      event.preventDefault();
      const [dx, dy] = move.map((d) => d * REGION_STEP) as [number, number];
      setDraft((current) => (event.shiftKey ? resizeRegion(current, dx, dy) : moveRegion(current, dx, dy)));
    } else if (event.key === 'Enter') {
      event.preventDefault();
      search();
    } else if (event.key === 'Escape') {
      event.preventDefault();
      setEditing(false);
    }
  }

  if (!drawable) {
    return (
      <p className="hint" data-testid="region-undrawable">
        To search a region, choose a JPEG, PNG or WebP photograph: this browser cannot show this file to draw on.
      </p>
    );
  }

  return (
    <section className="region-selector" aria-label="Search a region of the photograph" data-testid="region-selector">
      {region && !editing && (
        <p className="region-selector__status" data-testid="region-status">
          Searching a region: {describeRegion(region)}.{' '}
          <button type="button" className="button button--quiet" disabled={busy} onClick={() => onSearch(null)} data-testid="region-clear">
            Search the whole photograph
          </button>
        </p>
      )}
      {!editing && (
        <button type="button" className="button button--secondary" disabled={busy} onClick={open} data-testid="region-open">
          {region ? 'Change the region' : 'Search a region…'}
        </button>
      )}
      {editing && (
        <>
          <p id={helpId} className="hint">
            Drag across the photograph to mark the region to search, or use the arrow keys to move the rectangle and Shift + arrow keys to resize it. The region
            is cut out and searched as a whole photograph would be: its retina is found, it is preprocessed and embedded on its own.
          </p>
          <div
            ref={canvas}
            className="region-selector__canvas"
            data-testid="region-canvas"
            onPointerDown={(event) => {
              event.currentTarget.setPointerCapture(event.pointerId);
              start.current = pointAt(event);
              setDraft(regionFromPoints(start.current, start.current));
            }}
            onPointerMove={(event) => {
              if (start.current) setDraft(regionFromPoints(start.current, pointAt(event)));
            }}
            onPointerUp={() => {
              start.current = null;
              box.current?.focus();
            }}
          >
            <img src={previewUrl} alt="The query photograph: drag across it to mark a region" draggable={false} onError={() => setDrawable(false)} />
            <div
              ref={box}
              className="region-selector__box"
              // A widget of its own: screen readers pass the arrow keys through to it.
              role="application"
              aria-roledescription="movable rectangle"
              // biome-ignore lint/a11y/noNoninteractiveTabindex: the rectangle takes focus to receive the arrow keys
              tabIndex={0}
              aria-label={`Region to search: ${describeRegion(draft)}`}
              aria-describedby={helpId}
              data-testid="region-box"
              data-region={JSON.stringify(draft)}
              style={{ left: `${draft.x * 100}%`, top: `${draft.y * 100}%`, width: `${draft.width * 100}%`, height: `${draft.height * 100}%` }}
              onKeyDown={onKeyDown}
            />
          </div>
          <div className="button-row">
            <button type="button" className="button" disabled={busy || !isUsableRegion(draft)} onClick={search} data-testid="region-search">
              Search this region
            </button>
            <button type="button" className="button button--quiet" onClick={() => setEditing(false)} data-testid="region-cancel">
              Cancel
            </button>
          </div>
        </>
      )}
    </section>
  );
}

/** The region selector of the search session's uploaded photograph (none for a stored case or before an upload). */
export function QueryRegionSelector() {
  const { file, previewUrl, region, setRegion, search } = useSearchSession();
  if (!file || !previewUrl) return null;
  return <RegionSelector key={previewUrl} previewUrl={previewUrl} region={region} busy={search.isPending} onSearch={setRegion} />;
}
