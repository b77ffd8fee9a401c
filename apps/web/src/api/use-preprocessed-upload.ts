import { useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useApiClient } from './api-client.tsx';
import { queryKeys } from './query-keys.ts';
import { retryUnlessClientError } from './retry-policy.ts';
import { uploadKey } from './use-explanation.ts';

/** The network's view of a photograph uploaded in this tab, as an object URL (null until it is there). */
export function usePreprocessedUpload(file: File | null, enabled: boolean) {
  const client = useApiClient();
  const png = useQuery<Blob, Error>({
    queryKey: queryKeys.preprocessedUpload(file ? uploadKey(file) : 'none'),
    queryFn: () => client.preprocess(file!, file!.name),
    enabled: enabled && file !== null,
    staleTime: Infinity,
    retry: retryUnlessClientError,
  });
  const [url, setUrl] = useState<string | null>(null);
  useEffect(() => {
    if (!png.data) return;
    const next = URL.createObjectURL(png.data);
    setUrl(next);
    return () => {
      URL.revokeObjectURL(next);
      setUrl(null);
    };
  }, [png.data]);
  return { url, error: png.error };
}
