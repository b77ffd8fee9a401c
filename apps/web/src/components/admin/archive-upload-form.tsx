import { useId, useRef, useState, type FormEvent } from 'react';
import { useArchiveUpload } from '../../api/use-archive-upload.ts';
import { formatBytes } from '../../domain/format.ts';
import { ProgressBar } from '../progress-bar.tsx';
import { ErrorMessage } from '../status-message.tsx';

const ARCHIVE_ACCEPT = '.zip,.tar,.tar.gz,.tgz,application/zip,application/x-tar,application/gzip';
const LABELS_ACCEPT = '.csv,text/csv,text/plain';
const ARCHIVE_NAME = /\.(zip|tar|tar\.gz|tgz)$/i;

export function ArchiveUploadForm() {
  const { state, upload, abort, reset } = useArchiveUpload();
  const [archive, setArchive] = useState<File | null>(null);
  const [labels, setLabels] = useState<File | null>(null);
  const [source, setSource] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const formRef = useRef<HTMLFormElement>(null);
  const archiveId = useId();
  const labelsId = useId();
  const archiveHintId = useId();
  const uploading = state.phase === 'uploading';

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    if (!archive) {
      setProblem('Choose a .zip, .tar or .tar.gz archive of fundus images.');
      return;
    }
    setProblem(null);
    upload({ archive, labels, source: source.trim() || undefined });
  }

  function chooseArchive(file: File | null) {
    reset();
    setArchive(file);
    // The server tells the format by the bytes; the name check only catches an obvious wrong pick early.
    setProblem(file && !ARCHIVE_NAME.test(file.name) ? `${file.name} does not look like a .zip, .tar or .tar.gz archive; the server will check it.` : null);
  }

  return (
    <form ref={formRef} className="panel form-panel" onSubmit={onSubmit} noValidate aria-labelledby="upload-heading" data-testid="archive-upload-form">
      <h2 id="upload-heading" className="panel__title">
        Upload an archive
      </h2>
      <p className="panel__intro">
        A .zip, .tar or .tar.gz of fundus photographs. Images already stored are skipped; each refused file is listed with its reason.
      </p>
      <div className={`field${problem && !archive ? ' field--invalid' : ''}`}>
        <label htmlFor={archiveId}>Archive</label>
        <input
          id={archiveId}
          type="file"
          accept={ARCHIVE_ACCEPT}
          disabled={uploading}
          aria-describedby={archiveHintId}
          aria-invalid={Boolean(problem && !archive)}
          onChange={(event) => chooseArchive(event.target.files?.[0] ?? null)}
          data-testid="archive-input"
        />
        <p id={archiveHintId} className={problem ? 'field__error' : 'hint field__hint'} data-testid={problem ? 'archive-problem' : undefined}>
          {problem ?? (archive ? `${archive.name}, ${formatBytes(archive.size)}` : 'Folders inside the archive are fine.')}
        </p>
      </div>
      <div className="field">
        <label htmlFor={labelsId}>Label file (optional)</label>
        <input
          id={labelsId}
          type="file"
          accept={LABELS_ACCEPT}
          disabled={uploading}
          onChange={(event) => setLabels(event.target.files?.[0] ?? null)}
          data-testid="labels-input"
        />
        <p className="hint field__hint">
          CSV with a header: EyePACS <code>image,level</code>, APTOS <code>id_code,diagnosis</code> or <code>file,grade[,patient_id,eye]</code>. Without one, a
          label file inside the archive is used; unlabelled images are stored with grade unknown.
        </p>
      </div>
      <div className="field">
        <label htmlFor="archive-source">Source name (optional)</label>
        <input
          id="archive-source"
          value={source}
          maxLength={200}
          disabled={uploading}
          placeholder="the archive's name"
          onChange={(event) => setSource(event.target.value)}
          data-testid="source-input"
        />
      </div>
      <div className="live-region" aria-live="polite">
        {state.phase === 'uploading' && (
          <div className="upload-progress" data-testid="upload-progress">
            <ProgressBar
              value={state.loaded}
              max={state.total}
              label={`Uploading ${state.fileName}`}
              text={`${formatBytes(state.loaded)} of ${formatBytes(state.total)}`}
              testId="upload-progress-bar"
            />
            {/* The server reads the whole archive's table of contents before it answers. */}
            {state.total > 0 && state.loaded >= state.total && (
              <p className="hint" data-testid="upload-checking">
                Uploaded. The server is checking the archive…
              </p>
            )}
          </div>
        )}
        {state.phase === 'error' && <ErrorMessage error={state.error} title="The archive was not accepted" testId="upload-error" />}
        {state.phase === 'done' && (
          <p className="success-note" data-testid="upload-done">
            Uploaded {state.job.fileName ?? 'the archive'}: {state.job.total ?? 'its'} files are queued for ingest. Follow them in the list.
          </p>
        )}
      </div>
      <div className="button-row">
        <button type="submit" className="button" disabled={uploading} data-testid="upload-submit">
          {uploading ? 'Uploading…' : 'Upload and ingest'}
        </button>
        {uploading && (
          <button type="button" className="button button--secondary" onClick={abort} data-testid="upload-abort">
            Stop upload
          </button>
        )}
      </div>
    </form>
  );
}
