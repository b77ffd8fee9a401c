import { ApiError, type ErrorBody, type Job, type SessionResponse } from '@cbmir/contract';
import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useRef, useState } from 'react';
import { queryKeys } from './query-keys.ts';

export interface ArchiveUploadRequest {
  archive: File;
  labels?: File | null;
  source?: string;
}

export type ArchiveUploadState =
  | { phase: 'idle' }
  | { phase: 'uploading'; loaded: number; total: number; fileName: string }
  | { phase: 'done'; job: Job }
  | { phase: 'error'; error: Error };

/**
 * Uploads an archive with a progress bar. fetch() cannot report upload progress, so this one request
 * goes through XMLHttpRequest; it carries what the typed client would: the session cookie and the
 * session's CSRF token (from the cached session, which the client learnt it from), and the same form
 * fields in the same order (the archive last, so the server has the small fields before it streams).
 */
export function useArchiveUpload() {
  const queryClient = useQueryClient();
  const [state, setState] = useState<ArchiveUploadState>({ phase: 'idle' });
  const xhrRef = useRef<XMLHttpRequest | null>(null);

  useEffect(() => () => xhrRef.current?.abort(), []);

  const upload = useCallback(
    (request: ArchiveUploadRequest) => {
      const form = new FormData();
      if (request.source) form.append('source', request.source);
      if (request.labels) form.append('labels', request.labels, request.labels.name);
      form.append('archive', request.archive, request.archive.name);

      const xhr = new XMLHttpRequest();
      xhrRef.current = xhr;
      xhr.open('POST', '/api/v1/archives');
      const csrfToken = queryClient.getQueryData<SessionResponse | null>(queryKeys.session)?.csrfToken;
      if (csrfToken) xhr.setRequestHeader('x-csrf-token', csrfToken);
      xhr.responseType = 'text';

      setState({ phase: 'uploading', loaded: 0, total: request.archive.size, fileName: request.archive.name });
      xhr.upload.onprogress = (event) => {
        setState({
          phase: 'uploading',
          loaded: event.loaded,
          total: event.lengthComputable ? event.total : request.archive.size,
          fileName: request.archive.name,
        });
      };
      xhr.onload = () => {
        xhrRef.current = null;
        const error = responseError(xhr);
        if (error) {
          if (error.status === 401) queryClient.setQueryData(queryKeys.session, null);
          else if (error.code === 'csrf') void queryClient.invalidateQueries({ queryKey: queryKeys.session });
          setState({ phase: 'error', error });
          return;
        }
        const job = JSON.parse(xhr.responseText) as Job;
        setState({ phase: 'done', job });
        void queryClient.invalidateQueries({ queryKey: queryKeys.jobs });
      };
      xhr.onerror = () => {
        xhrRef.current = null;
        // Same error as a failed fetch(), so describeError() explains it the same way.
        setState({ phase: 'error', error: new TypeError('network error') });
      };
      xhr.onabort = () => {
        xhrRef.current = null;
        setState({ phase: 'idle' });
      };
      xhr.send(form);
    },
    [queryClient],
  );

  const abort = useCallback(() => xhrRef.current?.abort(), []);
  const reset = useCallback(() => setState({ phase: 'idle' }), []);
  return { state, upload, abort, reset };
}

function responseError(xhr: XMLHttpRequest): ApiError | null {
  if (xhr.status >= 200 && xhr.status < 300) return null;
  let body: Partial<ErrorBody> | undefined;
  try {
    body = JSON.parse(xhr.responseText) as Partial<ErrorBody>;
  } catch {
    body = undefined;
  }
  return new ApiError(xhr.status, body?.error ?? 'http_error', body?.message ?? `HTTP ${xhr.status}`);
}
