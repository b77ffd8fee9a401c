import type { CbmirClient } from '@cbmir/contract';
import { createContext, useContext, type ReactNode } from 'react';

const ApiClientContext = createContext<CbmirClient | null>(null);

/** Provides the typed REST client to the query hooks; main.tsx builds it, a test can pass its own. */
export function ApiClientProvider({ client, children }: { client: CbmirClient; children: ReactNode }) {
  return <ApiClientContext.Provider value={client}>{children}</ApiClientContext.Provider>;
}

export function useApiClient(): CbmirClient {
  const client = useContext(ApiClientContext);
  if (!client) throw new Error('useApiClient must be used inside <ApiClientProvider>');
  return client;
}
