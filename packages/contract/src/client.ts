import type {
  EmbeddingResponse,
  ErrorBody,
  ImageRecord,
  Readiness,
  SearchResponse,
} from './schemas.ts';

/** An API error with the server's code and message. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface ClientOptions {
  /** Base URL of the server, e.g. http://localhost:8080; empty for same-origin (the web app). */
  baseUrl?: string;
  fetch?: typeof fetch;
}

/** The typed REST client used by the web app and by REST users. */
export function createClient(options: ClientOptions = {}) {
  const baseUrl = (options.baseUrl ?? '').replace(/\/$/, '');
  const doFetch = options.fetch ?? globalThis.fetch.bind(globalThis);

  async function request<T>(path: string, init?: RequestInit): Promise<T> {
    const response = await doFetch(`${baseUrl}${path}`, init);
    const text = await response.text();
    const body: unknown = text ? JSON.parse(text) : undefined;
    if (!response.ok) {
      const err = body as Partial<ErrorBody> | undefined;
      throw new ApiError(
        response.status,
        err?.error ?? 'http_error',
        err?.message ?? `HTTP ${response.status}`,
      );
    }
    return body as T;
  }

  const withK = (path: string, k?: number) => (k === undefined ? path : `${path}?k=${k}`);

  return {
    readiness: () => request<Readiness>('/readyz'),
    searchByImage(image: Blob, options: { k?: number; fileName?: string } = {}) {
      const form = new FormData();
      form.append('image', image, options.fileName ?? 'query');
      return request<SearchResponse>(withK('/api/v1/search', options.k), { method: 'POST', body: form });
    },
    searchByVector(vector: number[], k?: number) {
      return request<SearchResponse>('/api/v1/search/vector', {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ vector, k }),
      });
    },
    image: (id: string) => request<ImageRecord>(`/api/v1/images/${encodeURIComponent(id)}`),
    similar: (id: string, k?: number) =>
      request<SearchResponse>(withK(`/api/v1/images/${encodeURIComponent(id)}/similar`, k)),
    embedding: (id: string) =>
      request<EmbeddingResponse>(`/api/v1/images/${encodeURIComponent(id)}/embedding`),
    thumbnailUrl: (id: string) => `${baseUrl}/api/v1/images/${encodeURIComponent(id)}/thumbnail`,
  };
}

export type CbmirClient = ReturnType<typeof createClient>;
