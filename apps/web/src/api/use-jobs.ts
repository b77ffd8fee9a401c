import type { Job, JobItemPage, JobList } from '@cbmir/contract';
import { useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';

export const JOB_PAGE_SIZE = 20;
export const JOB_ITEMS_PAGE_SIZE = 100;
/** When the event stream cannot be used, a running job is polled this often instead. */
const JOB_POLL_MS = 2000;

export const isFinished = (job: Job) => job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';

/** Ingest jobs, newest first; older pages through `nextBefore`. */
export function useJobs() {
  const client = useApiClient();
  return useInfiniteQuery<JobList, Error, { pages: JobList[] }, typeof queryKeys.jobs, string | undefined>({
    queryKey: queryKeys.jobs,
    queryFn: ({ pageParam }) => client.jobs({ before: pageParam, limit: JOB_PAGE_SIZE }),
    initialPageParam: undefined,
    getNextPageParam: (page) => page.nextBefore ?? undefined,
    retry: retryUnlessClientError,
    staleTime: 0,
  });
}

/**
 * A job as it runs: follows the server's event stream (GET /jobs/:id/events) while the job runs, and polls
 * while it waits in the queue or when the stream cannot be opened (a proxy that buffers, an old browser).
 * Only running jobs hold a stream, so a long queue does not use up the browser's six connections per
 * server. Returns the freshest copy: streamed, polled, or the list's.
 */
export function useLiveJob(initial: Job): Job {
  const client = useApiClient();
  const queryClient = useQueryClient();
  const [streamed, setStreamed] = useState<Job | null>(null);
  const [streamFailed, setStreamFailed] = useState(false);
  const canStream = !streamFailed && typeof EventSource !== 'undefined';
  const known = newest(initial, streamed);

  const polled = useQuery<Job, Error>({
    queryKey: queryKeys.job(initial.id),
    queryFn: () => client.job(initial.id),
    enabled: !isFinished(known) && !(known.status === 'running' && canStream),
    refetchInterval: JOB_POLL_MS,
    retry: retryUnlessClientError,
  });
  const current = newest(known, polled.data ?? null);
  const stream = current.status === 'running' && canStream;

  useEffect(() => {
    if (!stream) return;
    const source = new EventSource(client.jobEventsUrl(initial.id));
    const onJob = (event: MessageEvent<string>) => setStreamed(JSON.parse(event.data) as Job);
    source.addEventListener('progress', onJob);
    source.addEventListener('end', (event) => {
      onJob(event);
      source.close();
    });
    source.onerror = () => {
      // EventSource reconnects by itself after a dropped connection; CLOSED means it gave up (e.g. 401, 404).
      if (source.readyState === EventSource.CLOSED) setStreamFailed(true);
    };
    return () => source.close();
  }, [client, initial.id, stream]);

  // A finished ingest changes the index size in the header and the list's order of statuses.
  const finished = isFinished(current) && !isFinished(initial);
  useEffect(() => {
    if (!finished) return;
    void queryClient.invalidateQueries({ queryKey: queryKeys.readiness });
    void queryClient.invalidateQueries({ queryKey: queryKeys.jobs });
  }, [finished, queryClient]);

  return current;
}

function newest(a: Job, b: Job | null): Job {
  if (!b) return a;
  return Date.parse(b.updatedAt) >= Date.parse(a.updatedAt) ? b : a;
}

/** A job's files that were refused or skipped, with the reason for each, in archive order. */
export function useFailedJobItems(jobId: string, enabled: boolean) {
  const client = useApiClient();
  return useInfiniteQuery<JobItemPage, Error, { pages: JobItemPage[] }, ReturnType<typeof queryKeys.jobItems>, number | undefined>({
    queryKey: queryKeys.jobItems(jobId, 'failed'),
    queryFn: ({ pageParam }) => client.jobItems(jobId, { status: 'failed', after: pageParam, limit: JOB_ITEMS_PAGE_SIZE }),
    initialPageParam: undefined,
    getNextPageParam: (page) => page.nextAfter ?? undefined,
    enabled,
    retry: retryUnlessClientError,
  });
}

export function useCancelJob() {
  const client = useApiClient();
  const queryClient = useQueryClient();
  return useMutation<Job, Error, string>({
    mutationFn: (id) => client.cancelJob(id),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: queryKeys.jobs }),
  });
}
