import { createClient, routePath, routes } from '@cbmir/contract';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { UsageError } from '../usage-error.ts';
import { summarize, type Summary } from '../latency-summary.ts';

export const SEARCH_BENCH_USAGE = `  bench search [--url http://127.0.0.1:8080] [--api-key-file F | --user admin --password-file F]
               [--concurrency 1,4,16] [--requests 64] [--max-seconds 60] [--photo F | --photo-size WxH] [--burst N] [--json]
      End-to-end POST /api/v1/search latency (p50, p99) and throughput at each concurrency against a running
      server on this machine (loopback addresses only), beside the server's own embedding time per request
      (its Server-Timing header: batching wait + forward pass), and their ratio. Queries are synthetic fundus
      photos (JPEG, quality 90), 512x512 unless --photo-size (e.g. 3872x2592, a camera's frame) or --photo F
      (a real photograph, sent as every query) says otherwise. --burst N: then N requests at once, counted by
      answer (ok, 429, 503, Retry-After, 5xx, unanswered) beside the server's resident memory before and after and
      its peak since start (from /metrics: admin credentials needed for those); exit 1 on any 5xx or unanswered.
      Authentication: an API key (CBMIR_API_KEY or --api-key-file), or admin credentials (--user, default admin;
      CBMIR_ADMIN_PASSWORD or --password-file, the password the server was first started with), with which the bench
      issues itself a temporary clinician key and revokes it at the end.
      Start the server with search budgets above the bench's rate (requests and megapixels a minute: at the
      default 600 megapixels, 10-megapixel queries get 429 after about 60), e.g.
        CBMIR_SEARCH_RATE_LIMIT=100000 CBMIR_SEARCH_MEGAPIXELS_PER_MINUTE=1000000 CBMIR_ADMIN_PASSWORD=... pnpm serve`;

export interface SearchBenchOptions {
  url: string;
  apiKey?: string | undefined;
  user?: string | undefined;
  password?: string | undefined;
  concurrency: number[];
  /** timed requests per concurrency level (after a warm-up of one request per client) */
  requests: number;
  /** a level stops early after this long */
  maxSeconds: number;
  /** the queries: a photograph's bytes, or synthetic photos of a size (default: 512x512 PNG) */
  queries?: { photo: Uint8Array } | { width: number; height: number } | undefined;
  /** After the levels: this many requests sent at once (0 or absent: none), to see how the server sheds load. */
  burst?: number | undefined;
  log: (message: string) => void;
}

export interface SearchBenchLevel {
  concurrency: number;
  requests: number;
  errors: number;
  /** requests per second over the level's wall time */
  throughput: number;
  /** end-to-end latency seen by the client, ms */
  latencyMs: Summary;
  /** the server's embedding time per request (batching wait, queue, forward pass), ms */
  embedMs: Summary | null;
  /** the server's preprocessing time per request, ms */
  preprocessMs: Summary | null;
  /** nearest-neighbour query + ranking, ms */
  knnMs: Summary | null;
  /** mean images per forward pass that the requests' queries ran in (the server's batching) */
  meanBatch: number | null;
  firstError?: string;
}

/** Requests sent all at once: how each was answered, and the server's memory around it. */
export interface SearchBurst {
  requests: number;
  ok: number;
  /** 429: the caller's budget (rate limit or megapixels per minute) */
  rateLimited: number;
  /** 503: the search queue was full */
  busy: number;
  /** 429 and 503 answers that said when to come back */
  withRetryAfter: number;
  /** any other status, e.g. 413 for a photo over the size limit */
  otherClientErrors: number;
  serverErrors: number;
  /** no HTTP answer at all (connection reset, timeout) */
  networkErrors: number;
  seconds: number;
  /** The server's resident memory (from its /metrics; null where the bench may not read them: admin only). */
  rssBeforeBytes: number | null;
  rssAfterBytes: number | null;
  /** The most the server process has held since it started (VmHWM), read after the burst. */
  peakRssBytes: number | null;
  firstProblem?: string;
}

export interface SearchBenchResult {
  url: string;
  backend: string | null;
  model: string | null;
  images: number;
  levels: SearchBenchLevel[];
  burst: SearchBurst | null;
}

/** `pnpm bench search`: a bounded closed-loop load (N clients, each sending its next request when the last returns). */
export async function benchSearch(options: SearchBenchOptions): Promise<SearchBenchResult> {
  const base = new URL(options.url);
  if (!isLoopback(base.hostname)) {
    throw new UsageError(`--url must point at this machine (127.0.0.1, localhost or ::1), got ${base.hostname}`);
  }
  const url = base.origin;
  const readiness = await createClient({ baseUrl: url })
    .readiness()
    .catch((error: Error) => {
      throw new UsageError(`no cbmir server answers at ${url} (${error.message}); start one with: pnpm serve`);
    });
  const auth = await authenticate(url, options);
  try {
    options.log(`server ${url}: ${readiness.model?.name ?? 'no model'} served by ${readiness.backend}, ${readiness.images} images`);
    const queries = await benchQueries(options.queries);
    const levels: SearchBenchLevel[] = [];
    for (const concurrency of options.concurrency) {
      options.log(`concurrency ${concurrency}: ${options.requests} requests`);
      await runLevel(url, auth.key, queries, concurrency, concurrency, 120); // warm-up
      const level = await runLevel(url, auth.key, queries, concurrency, options.requests, options.maxSeconds);
      if (level.errors > 0) options.log(`  ${level.errors} failed: ${level.firstError}`);
      levels.push(level);
    }
    let burst: SearchBurst | null = null;
    if (options.burst) {
      options.log(`burst: ${options.burst} requests at once`);
      burst = await runBurst(url, auth, queries, options.burst);
    }
    return { url, backend: readiness.backend, model: readiness.model?.name ?? null, images: readiness.images, levels, burst };
  } finally {
    await auth.release();
  }
}

/** Eight queries: the given photograph, or synthetic fundus photos (JPEG, quality 90). */
async function benchQueries(spec: SearchBenchOptions['queries']): Promise<Buffer[]> {
  if (spec && 'photo' in spec) return [Buffer.from(spec.photo)];
  const size = spec ?? { width: 512, height: 512 };
  return Promise.all(Array.from({ length: 8 }, (_, i) => generateSyntheticFundus({ seed: 90_000 + i, grade: (i % 5) as FundusGrade, ...size })));
}

/** `--photo-size 3872x2592`. */
export function parsePhotoSize(text: string): { width: number; height: number } {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(text);
  const [width, height] = match ? [Number(match[1]), Number(match[2])] : [NaN, NaN];
  if (!(width >= 64 && height >= 64 && width * height <= 40_000_000)) {
    throw new UsageError(`--photo-size must be WIDTHxHEIGHT, each at least 64 px and at most 40 megapixels in all (e.g. 3872x2592), got ${text}`);
  }
  return { width, height };
}

async function runLevel(url: string, key: string, queries: Buffer[], concurrency: number, requests: number, maxSeconds: number): Promise<SearchBenchLevel> {
  const latencies: number[] = [];
  const timings: Record<'embed' | 'preprocess' | 'knn' | 'batch', number[]> = { embed: [], preprocess: [], knn: [], batch: [] };
  let issued = 0;
  let errors = 0;
  let firstError: string | undefined;
  const started = performance.now();
  const deadline = started + maxSeconds * 1000;
  const client = async () => {
    while (issued < requests && performance.now() < deadline) {
      const query = queries[issued++ % queries.length]!;
      const sent = performance.now();
      try {
        const response = await postSearch(url, key, query);
        const body = await response.text();
        if (!response.ok) throw new Error(`HTTP ${response.status}: ${body.slice(0, 200)}`);
        latencies.push(performance.now() - sent);
        const serverTiming = parseServerTiming(response.headers.get('server-timing'));
        for (const name of ['embed', 'preprocess', 'knn', 'batch'] as const) {
          if (serverTiming[name] !== undefined) timings[name].push(serverTiming[name]);
        }
      } catch (error) {
        errors += 1;
        firstError ??= (error as Error).message;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  const seconds = (performance.now() - started) / 1000;
  return {
    concurrency,
    requests: latencies.length,
    errors,
    throughput: latencies.length / seconds,
    latencyMs: summarize(latencies) ?? { p50: NaN, p99: NaN, mean: NaN },
    embedMs: summarize(timings.embed),
    preprocessMs: summarize(timings.preprocess),
    knnMs: summarize(timings.knn),
    meanBatch: summarize(timings.batch)?.mean ?? null,
    ...(firstError ? { firstError } : {}),
  };
}

function postSearch(url: string, key: string, query: Buffer): Promise<Response> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(query)], { type: 'image/jpeg' }), 'query.jpg');
  return fetch(`${url}${routePath(routes.searchByImage)}?k=10`, {
    method: routes.searchByImage.method,
    body: form,
    headers: { authorization: `Bearer ${key}` },
  });
}

async function runBurst(url: string, auth: BenchAuth, queries: Buffer[], requests: number): Promise<SearchBurst> {
  const memory = async () => {
    const text = await auth.metrics();
    const rss = metricValue(text, 'cbmir_process_resident_memory_bytes');
    const peak = metricValue(text, 'cbmir_process_peak_resident_memory_bytes');
    // The two are read from /proc at slightly different moments of one scrape: the peak is at least the RSS seen.
    return { rss, peak: peak !== null && rss !== null ? Math.max(peak, rss) : peak };
  };
  const before = await memory();
  const counts = { ok: 0, rateLimited: 0, busy: 0, withRetryAfter: 0, otherClientErrors: 0, serverErrors: 0, networkErrors: 0 };
  let firstProblem: string | undefined;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: requests }, async (_, i) => {
      try {
        const response = await postSearch(url, auth.key, queries[i % queries.length]!);
        const body = await response.text();
        if (response.ok) {
          counts.ok += 1;
          return;
        }
        if (response.status === 429) counts.rateLimited += 1;
        else if (response.status === 503) counts.busy += 1;
        else if (response.status >= 500) counts.serverErrors += 1;
        else counts.otherClientErrors += 1;
        if ((response.status === 429 || response.status === 503) && Number(response.headers.get('retry-after')) > 0) counts.withRetryAfter += 1;
        if (response.status !== 429 && response.status !== 503) firstProblem ??= `HTTP ${response.status}: ${body.slice(0, 200)}`;
      } catch (error) {
        counts.networkErrors += 1;
        firstProblem ??= (error as Error).message;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const after = await memory();
  return {
    requests,
    ...counts,
    seconds,
    rssBeforeBytes: before.rss,
    rssAfterBytes: after.rss,
    peakRssBytes: after.peak,
    ...(firstProblem ? { firstProblem } : {}),
  };
}

/** An unlabelled sample of a Prometheus text exposition, or null. */
function metricValue(text: string | null, name: string): number | null {
  const match = text ? new RegExp(`^${name} (\\S+)$`, 'm').exec(text) : null;
  return match ? Number(match[1]) : null;
}

interface BenchAuth {
  key: string;
  /** The server's /metrics text, or null where these credentials may not read it (the admin role only). */
  metrics(): Promise<string | null>;
  release(): Promise<void>;
}

/** An API key for the run: the one given, or a temporary one issued with admin credentials. */
async function authenticate(url: string, options: SearchBenchOptions): Promise<BenchAuth> {
  const readMetrics = async (fetcher: typeof fetch, headers: Record<string, string>) => {
    const response = await fetcher(`${url}/metrics`, { headers }).catch(() => null);
    return response?.ok ? response.text() : null;
  };
  const given = options.apiKey ?? process.env.CBMIR_API_KEY;
  if (given) return { key: given, metrics: () => readMetrics(fetch, { authorization: `Bearer ${given}` }), release: async () => {} };
  const password = options.password ?? process.env.CBMIR_ADMIN_PASSWORD;
  if (!password) {
    throw new UsageError(
      'bench search needs an API key (CBMIR_API_KEY or --api-key-file), or admin credentials: CBMIR_ADMIN_PASSWORD or --password-file [--user admin]',
    );
  }
  // Node's fetch keeps no cookies: carry the session cookie by hand for the typed client.
  let cookie = '';
  const cookieFetch: typeof fetch = async (input, init) => {
    const headers = new Headers(init?.headers);
    if (cookie) headers.set('cookie', cookie);
    const response = await fetch(input, { ...init, headers });
    const set = response.headers.getSetCookie?.() ?? [];
    if (set.length > 0) cookie = set.map((c) => c.split(';')[0]).join('; ');
    return response;
  };
  const client = createClient({ baseUrl: url, fetch: cookieFetch });
  await client.login(options.user ?? 'admin', password);
  const created = await client.createApiKey({ name: `bench-search-${new Date().toISOString()}`, role: 'clinician' });
  return {
    key: created.secret,
    metrics: () => readMetrics(cookieFetch, {}),
    async release() {
      await client.revokeApiKey(created.apiKey.id).catch(() => undefined);
      await client.logout().catch(() => undefined);
    },
  };
}

function parseServerTiming(header: string | null): Record<string, number> {
  const out: Record<string, number> = {};
  for (const entry of header?.split(',') ?? []) {
    const [name, ...params] = entry.trim().split(';');
    const value = params.map((p) => p.trim()).find((p) => p.startsWith('dur=') || p.startsWith('desc='));
    const number = Number(value?.replace(/^(dur|desc)=/, '').replace(/"/g, ''));
    if (name && value && Number.isFinite(number)) out[name] = number;
  }
  return out;
}

function isLoopback(hostname: string): boolean {
  const host = hostname.replace(/^\[|\]$/g, '');
  return host === 'localhost' || host === '::1' || /^127(\.\d{1,3}){3}$/.test(host);
}

export function formatSearchBench(result: SearchBenchResult): string {
  const ms = (s: Summary | null, key: 'p50' | 'p99') => (s ? s[key].toFixed(0) : '-');
  const header = [
    'concurrency',
    'requests',
    'errors',
    'req/s',
    'p50 ms',
    'p99 ms',
    'embed p50',
    'embed p99',
    'preprocess p50',
    'knn p50',
    'mean batch',
    'p50/embed',
  ];
  const rows = result.levels.map((l) => [
    String(l.concurrency),
    String(l.requests),
    String(l.errors),
    l.throughput.toFixed(2),
    ms(l.latencyMs, 'p50'),
    ms(l.latencyMs, 'p99'),
    ms(l.embedMs, 'p50'),
    ms(l.embedMs, 'p99'),
    ms(l.preprocessMs, 'p50'),
    ms(l.knnMs, 'p50'),
    l.meanBatch === null ? '-' : l.meanBatch.toFixed(1),
    l.embedMs ? `${(l.latencyMs.p50 / l.embedMs.p50).toFixed(2)}x` : '-',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const format = (cells: string[]) => cells.map((c, i) => c.padStart(widths[i]!)).join('  ');
  return [
    `search benchmark: ${result.url}, model ${result.model}, engine ${result.backend}, ${result.images} images indexed`,
    format(header),
    ...rows.map(format),
    '(embed: server-side time from handing the image to the batcher to its embedding, incl. batching wait;',
    ' p50/embed: end-to-end p50 over embed p50, what decode, preprocessing, k-NN and HTTP add)',
    ...(result.burst ? formatBurst(result.burst) : []),
  ].join('\n');
}

function formatBurst(burst: SearchBurst): string[] {
  const mb = (bytes: number | null) => (bytes === null ? 'unknown (the admin role reads /metrics)' : `${Math.round(bytes / 1024 / 1024)} MB`);
  return [
    `burst: ${burst.requests} requests at once, answered in ${burst.seconds.toFixed(1)} s: ${burst.ok} ok, ${burst.rateLimited} 429, ${burst.busy} 503 ` +
      `(${burst.withRetryAfter} of the 429/503 with Retry-After), ${burst.otherClientErrors} other 4xx, ${burst.serverErrors} 5xx, ${burst.networkErrors} unanswered`,
    `  server memory: RSS ${mb(burst.rssBeforeBytes)} before, ${mb(burst.rssAfterBytes)} after, peak since start ${mb(burst.peakRssBytes)}`,
    ...(burst.firstProblem ? [`  first problem: ${burst.firstProblem}`] : []),
  ];
}
