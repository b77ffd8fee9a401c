import { useId, useRef, useState, type DragEvent } from 'react';

/** What the server decodes; anything else is still sent, and the server explains why it is refused. */
const ACCEPT = 'image/jpeg,image/png,image/tiff,image/webp,application/dicom,.jpg,.jpeg,.png,.tif,.tiff,.webp,.dcm';

export function ImageDropZone({ file, previewUrl, onFile }: { file: File | null; previewUrl: string | null; onFile(file: File): void }) {
  const inputId = useId();
  const hintId = useId();
  const inputRef = useRef<HTMLInputElement>(null);
  const [dragging, setDragging] = useState(false);

  function onDrop(event: DragEvent<HTMLLabelElement>) {
    event.preventDefault();
    setDragging(false);
    const dropped = event.dataTransfer.files[0];
    if (dropped) onFile(dropped);
  }

  return (
    <div className="drop-zone-wrap">
      <input
        ref={inputRef}
        id={inputId}
        className="visually-hidden-input"
        type="file"
        accept={ACCEPT}
        aria-describedby={hintId}
        data-testid="file-input"
        onChange={(event) => {
          const chosen = event.target.files?.[0];
          if (chosen) onFile(chosen);
          // Let the same file be chosen again, e.g. after the server was restarted.
          event.target.value = '';
        }}
      />
      <label
        htmlFor={inputId}
        className={`drop-zone${dragging ? ' drop-zone--dragging' : ''}${file ? ' drop-zone--filled' : ''}`}
        data-testid="drop-zone"
        onDragEnter={(event) => {
          event.preventDefault();
          setDragging(true);
        }}
        onDragOver={(event) => event.preventDefault()}
        onDragLeave={() => setDragging(false)}
        onDrop={onDrop}
      >
        {file && previewUrl ? (
          <QueryPreview key={previewUrl} file={file} previewUrl={previewUrl} />
        ) : (
          <span className="drop-zone__empty">
            <FundusIcon />
            <span className="drop-zone__title">Drop a fundus photograph here</span>
            <span className="drop-zone__or">
              or <span className="drop-zone__button">choose a file</span>
            </span>
          </span>
        )}
      </label>
      <p id={hintId} className="hint">
        JPEG, PNG, TIFF, WebP or DICOM. The image is kept with your search in My searches, which only you can see.
        {file && <> Drop or choose another file to replace it.</>}
      </p>
    </div>
  );
}

function QueryPreview({ file, previewUrl }: { file: File; previewUrl: string }) {
  // Chromium and Firefox cannot draw TIFF; the server can still search with it.
  const [drawable, setDrawable] = useState(true);
  return (
    <figure className="query-preview" data-testid="query-preview">
      {drawable ? (
        <img src={previewUrl} alt={`Query fundus photograph ${file.name}`} data-testid="query-preview-image" onError={() => setDrawable(false)} />
      ) : (
        <span className="query-preview__fallback" data-testid="query-preview-fallback">
          {file.type.startsWith('image/')
            ? 'This browser cannot preview this format; it can still be searched.'
            : 'No preview: this does not look like an image file.'}
        </span>
      )}
      <figcaption>
        <span className="query-preview__name" title={file.name}>
          {file.name}
        </span>
        <span className="query-preview__size">{formatFileSize(file.size)}</span>
      </figcaption>
    </figure>
  );
}

function formatFileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(0)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function FundusIcon() {
  return (
    <svg className="drop-zone__icon" viewBox="0 0 48 48" aria-hidden="true" focusable="false">
      <circle cx="24" cy="24" r="21" fill="none" stroke="currentColor" strokeWidth="2" />
      <circle cx="31" cy="21" r="4.5" fill="none" stroke="currentColor" strokeWidth="2" />
      <path d="M27 20c-6-5-12-3-19-6M27 22c-6 3-11 9-16 15M27 21c-5 1-12 2-20 3" fill="none" stroke="currentColor" strokeWidth="1.6" strokeLinecap="round" />
    </svg>
  );
}
