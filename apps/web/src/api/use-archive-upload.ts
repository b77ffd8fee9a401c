import { ApiError, answerOf, apiErrorOf, type Job, routePath, routes, type SessionResponse } from '@cbmir/contract';
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
      xhr.open(routes.uploadArchive.method, routePath(routes.uploadArchive));
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
        let job: Job;
        try {
          job = uploadAnswer(xhr);
        } catch (error) {
          if (error instanceof ApiError && error.status === 401) queryClient.setQueryData(queryKeys.session, null);
          else if (error instanceof ApiError && error.code === 'csrf') void queryClient.invalidateQueries({ queryKey: queryKeys.session });
          setState({ phase: 'error', error: error instanceof Error ? error : new Error(String(error)) });
          return;
        }
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

/** The queued job, as the typed client reads an answer; a refusal or an answer outside the contract throws its ApiError. */
function uploadAnswer(xhr: XMLHttpRequest): Job {
  if (xhr.status < 200 || xhr.status >= 300) throw apiErrorOf(xhr.status, xhr.responseText);
  return answerOf(routes.uploadArchive, xhr.status, xhr.responseText);
}
