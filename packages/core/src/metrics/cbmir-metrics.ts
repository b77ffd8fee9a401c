import type { Database, JobItemStatus } from '@cbmir/db';
import { readFile } from 'node:fs/promises';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** What the metrics read at scrape time: the database (queue depth, images per version) and the serving engine. */
export interface MetricsSources {
  db: Pick<Database, 'jobs' | 'embeddings' | 'modelVersions' | 'readReplicas'>;
  runtime: { readonly backend: string | null; readonly version: { id: string; name: string } | null };
  /** Told when a scrape-time database read fails (the scrape still answers, without those series). */
  onCollectError?: (error: Error) => void;
}

/**
 * The server's Prometheus metrics, in a registry of their own (never prom-client's global one: several apps
 * are built in one test process, and each must count only its own requests).
 */
export function createCbmirMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'cbmir_' });
  let sources: MetricsSources | null = null;
  const failed = (error: unknown) => sources?.onCollectError?.(error instanceof Error ? error : new Error(String(error)));

  new Gauge({
    name: 'cbmir_process_peak_resident_memory_bytes',
    help: 'The most resident memory this process has held since it started (VmHWM; Linux only), e.g. across an upload burst',
    registers: [registry],
    async collect() {
      const peak = await peakResidentBytes();
      if (peak !== null) this.set(peak);
    },
  });
  const httpDuration = new Histogram({
    name: 'cbmir_http_request_duration_seconds',
    help: 'HTTP request latency by route pattern (not the raw URL, so ids do not multiply series) and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [registry],
  });
  const embedDuration = new Histogram({
    name: 'cbmir_embed_batch_duration_seconds',
    help: "Forward pass of one embedding batch (the batcher's run, all requests batched together)",
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const embedBatchSize = new Histogram({
    name: 'cbmir_embed_batch_size',
    help: 'Images per embedding batch',
    buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
    registers: [registry],
  });
  const jobItems = new Counter({
    name: 'cbmir_job_items_total',
    help: 'Archive entries processed by ingest jobs in this process, by outcome (added, duplicate, failed)',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  const jobsFinished = new Counter({
    name: 'cbmir_jobs_finished_total',
    help: 'Ingest jobs this process finished, by final status',
    labelNames: ['status'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'cbmir_jobs',
    help: 'Jobs in the database by status (queued + running: the queue depth, across every process)',
    labelNames: ['status'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!sources) return;
      try {
        for (const [status, n] of Object.entries(await sources.db.jobs.countByStatus())) this.set({ status }, n);
      } catch (error) {
        failed(error);
      }
    },
  });
  new Gauge({
    name: 'cbmir_images_embedded',
    help: 'Images with an embedding, per model version',
    labelNames: ['version_id', 'version', 'active'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      if (!sources) return;
      try {
        const [versions, counts] = await Promise.all([sources.db.modelVersions.list(), sources.db.embeddings.countByVersion()]);
        for (const v of versions) this.set({ version_id: v.id, version: v.name, active: String(v.active) }, counts.get(v.id) ?? 0);
      } catch (error) {
        failed(error);
      }
    },
  });
  new Gauge({
    name: 'cbmir_read_replica_fit',
    help: 'DATABASE_READ_URL replicas: 1 while a replica takes reads, 0 while it is down or too far behind (reads go to the primary)',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of sources?.db.readReplicas() ?? []) this.set({ replica: replica.name }, replica.fit ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cbmir_read_replica_reads',
    help: 'Statements and transactions each read replica served since this process started',
    labelNames: ['replica'] as const,
    registers: [registry],
    collect() {
      this.reset();
      for (const replica of sources?.db.readReplicas() ?? []) this.set({ replica: replica.name }, replica.reads);
    },
  });
  new Gauge({
    name: 'cbmir_inference_engine_info',
    help: 'The engine serving the active model version (value 1)',
    labelNames: ['engine', 'version'] as const,
    registers: [registry],
    collect() {
      this.reset();
      const runtime = sources?.runtime;
      if (runtime?.backend) this.set({ engine: runtime.backend, version: runtime.version?.name ?? '' }, 1);
    },
  });

  return {
    registry,
    /** Where the scrape-time gauges read from (set once the database and the model runtime exist). */
    attach(next: MetricsSources): void {
      sources = next;
    },
    observeRequest(method: string, route: string, status: number, seconds: number): void {
      httpDuration.observe({ method, route, status: String(status) }, seconds);
    },
    observeEmbedBatch(size: number, seconds: number): void {
      embedBatchSize.observe(size);
      embedDuration.observe(seconds);
    },
    countJobItems(counts: Partial<Record<JobItemStatus, number>>): void {
      for (const [status, n] of Object.entries(counts)) if (n) jobItems.inc({ status }, n);
    },
    countJobFinished(status: string): void {
      jobsFinished.inc({ status });
    },
    /** The Prometheus text exposition of every metric. */
    text: () => registry.metrics(),
    contentType: registry.contentType,
  };
}

export type CbmirMetrics = ReturnType<typeof createCbmirMetrics>;

/** The process's peak resident set (VmHWM in /proc/self/status), or null where there is no /proc. */
async function peakResidentBytes(): Promise<number | null> {
  const status = await readFile('/proc/self/status', 'utf8').catch(() => null);
  const kb = status ? /^VmHWM:\s+(\d+)\s+kB/m.exec(status)?.[1] : undefined;
  return kb === undefined ? null : Number(kb) * 1024;
}
