import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archives/archive-limits.ts';

/** The model that ships in the repository (see its MODEL_CARD.md): trained on EyePACS photographs. */
export const SHIPPED_MODEL_DIR = fileURLToPath(new URL('../../../models/default', import.meta.url));

export type BackendPreference = 'tensorflow-gpu' | 'tensorflow' | 'wasm' | 'cpu';

export interface Config {
  port: number;
  host: string;
  /** postgres://... for a PostgreSQL server; undefined for the embedded PGlite database. */
  databaseUrl: string | undefined;
  /**
   * CBMIR_ROLE: `all` (default) serves HTTP and runs jobs and activations in one process; with DATABASE_URL,
   * `api` serves HTTP only and `worker` runs ingest jobs, activations and re-embedding only (any number of each).
   */
  role: 'all' | 'api' | 'worker';
  /** DATABASE_READ_URL: streaming replicas that take search and case reads (empty: the primary takes all). */
  readUrls: string[];
  /** CBMIR_READ_MAX_LAG_SECONDS: a replica further behind takes no reads until it catches up. */
  maxReadLagSeconds: number;
  /** Database (embedded mode), originals, thumbnails and models live here. */
  dataDir: string;
  backend: BackendPreference | undefined;
  /** Which engine serves embeddings: ONNX Runtime where it can, else TF.js ('auto'); or one only. */
  inference: 'auto' | 'onnxruntime' | 'tfjs';
  /**
   * The model directory registered and activated when no version is active (first start): the model that
   * ships with cbmir (models/default/) unless CBMIR_DEFAULT_MODEL names another directory; null
   * (CBMIR_DEFAULT_MODEL=untrained, or no shipped model) falls back to the seeded, untrained ResNet-50.
   */
  defaultModel: string | null;
  /** Concurrent embed requests are batched: at most this many images per forward pass... */
  embedBatchSize: number;
  /** ...after the first request of a batch waited this long (ms) for others. */
  embedBatchWindowMs: number;
  /** Synthetic demo images seeded on first start when the database has no image. 0 turns seeding off. */
  demoImages: number;
  /** Seconds to train the demo model on the demo images at first start (0: keep the untrained model). */
  demoTrainSeconds: number;
  /** Largest accepted upload, in bytes. */
  maxUploadBytes: number;
  logLevel: string;
  /** Password for the first admin, created when no user exists; random (printed once) when unset. */
  adminPassword: string | undefined;
  sessionHours: number;
  searchRateLimit: number;
  /** Decoded megapixels of uploaded query images per minute per user or API key. */
  searchMegapixelsPerMinute: number;
  /** Image searches decoded and embedded at once, and how many more may wait (then 503). */
  searchConcurrency: number;
  searchQueue: number;
  secureCookies: boolean;
  /** Bounds on uploaded archives (zip bombs, entry floods, oversized entries). */
  archiveLimits: ArchiveLimits;
  /** Images per ingest batch (decode, embed and commit together). */
  ingestBatchSize: number;
  /** L2 distance under which a new image is flagged as a near-duplicate of a stored one; 0 turns it off. */
  nearDuplicateDistance: number;
  /** Seconds a job worker may go silent before another worker takes its job over (PostgreSQL). */
  jobLeaseSeconds: number;
  /** A port that serves GET /metrics without authentication (null: /metrics on the main port, admin role only). */
  metricsPort: number | null;
  /** Listen address of the metrics port. */
  metricsHost: string;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

const BACKENDS: readonly BackendPreference[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

/** Reads and validates the environment once, at start, and reports every problem together. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const problems: string[] = [];

  function integer(name: string, fallback: number, min: number, max: number): number {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isInteger(value) || value < min || value > max) {
      problems.push(`${name} must be an integer from ${min} to ${max}, got "${raw}"`);
      return fallback;
    }
    return value;
  }

  const port = integer('PORT', 8080, 0, 65535);
  const demoImages = integer('CBMIR_DEMO_IMAGES', 60, 0, 10_000);
  const demoTrainSeconds = integer('CBMIR_DEMO_TRAIN_SECONDS', 90, 0, 86_400);
  const maxUploadMb = integer('CBMIR_MAX_UPLOAD_MB', 50, 1, 10_000);

  const sessionHours = integer('CBMIR_SESSION_HOURS', 12, 1, 24 * 30);
  const searchRateLimit = integer('CBMIR_SEARCH_RATE_LIMIT', 120, 1, 100_000);
  // An image over the whole budget is charged the whole budget: it waits for a full minute's worth, never for ever.
  const searchMegapixelsPerMinute = integer('CBMIR_SEARCH_MEGAPIXELS_PER_MINUTE', 600, 1, 1_000_000);
  const searchConcurrency = integer('CBMIR_SEARCH_CONCURRENCY', 2, 1, 256);
  const searchQueue = integer('CBMIR_SEARCH_QUEUE', 16, 0, 10_000);

  const MB = 1024 * 1024;
  const d = DEFAULT_ARCHIVE_LIMITS;
  const archiveLimits: ArchiveLimits = {
    maxUploadBytes: integer('CBMIR_ARCHIVE_MAX_UPLOAD_MB', d.maxUploadBytes / MB, 1, 10_000_000) * MB,
    maxEntries: integer('CBMIR_ARCHIVE_MAX_ENTRIES', d.maxEntries, 1, 100_000_000),
    maxTotalBytes: integer('CBMIR_ARCHIVE_MAX_TOTAL_MB', d.maxTotalBytes / MB, 1, 100_000_000) * MB,
    maxEntryBytes: integer('CBMIR_ARCHIVE_MAX_ENTRY_MB', d.maxEntryBytes / MB, 1, 10_000) * MB,
    maxCompressionRatio: integer('CBMIR_ARCHIVE_MAX_RATIO', d.maxCompressionRatio, 2, 100_000),
  };
  const ingestBatchSize = integer('CBMIR_INGEST_BATCH_SIZE', 16, 1, 256);
  const jobLeaseSeconds = integer('CBMIR_JOB_LEASE_SECONDS', 60, 2, 86_400);
  const metricsPort = env.CBMIR_METRICS_PORT ? integer('CBMIR_METRICS_PORT', 0, 0, 65535) : null;
  const nearRaw = env.CBMIR_NEAR_DUPLICATE_DISTANCE;
  let nearDuplicateDistance = 5;
  if (nearRaw !== undefined && nearRaw !== '') {
    nearDuplicateDistance = Number(nearRaw);
    if (!Number.isFinite(nearDuplicateDistance) || nearDuplicateDistance < 0) {
      problems.push(`CBMIR_NEAR_DUPLICATE_DISTANCE must be a number >= 0 (0 turns the check off), got "${nearRaw}"`);
    }
  }
  const adminPassword = env.CBMIR_ADMIN_PASSWORD || undefined;
  if (adminPassword !== undefined && adminPassword.length < 10) problems.push('CBMIR_ADMIN_PASSWORD needs at least 10 characters');
  const secureRaw = env.CBMIR_SECURE_COOKIES ?? 'false';
  if (!['true', 'false'].includes(secureRaw)) problems.push('CBMIR_SECURE_COOKIES must be true or false');

  const databaseUrl = env.DATABASE_URL || undefined;
  if (databaseUrl && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    problems.push('DATABASE_URL must be a postgres:// or postgresql:// URL (leave it unset for the embedded database)');
  }

  const readUrls = (env.DATABASE_READ_URL ?? '')
    .split(',')
    .map((u) => u.trim())
    .filter(Boolean);
  if (readUrls.some((u) => !/^postgres(ql)?:\/\//.test(u)))
    problems.push('DATABASE_READ_URL must be postgres:// URLs of streaming replicas, separated by commas');
  if (readUrls.length > 0 && !databaseUrl) problems.push('DATABASE_READ_URL needs DATABASE_URL: read replicas are PostgreSQL streaming replicas of it');
  const maxReadLagSeconds = integer('CBMIR_READ_MAX_LAG_SECONDS', 5, 1, 3600);
  const role = env.CBMIR_ROLE || 'all';
  if (!['all', 'api', 'worker'].includes(role)) problems.push(`CBMIR_ROLE must be all, api or worker, got "${role}"`);
  else if (role !== 'all' && !databaseUrl) {
    problems.push(`CBMIR_ROLE=${role} needs DATABASE_URL: the embedded database serves one process, so api and worker roles share a PostgreSQL server`);
  }

  const backendRaw = env.CBMIR_BACKEND || undefined;
  if (backendRaw && !BACKENDS.includes(backendRaw as BackendPreference)) {
    problems.push(`CBMIR_BACKEND must be one of ${BACKENDS.join(', ')}, got "${backendRaw}"`);
  }

  const inference = env.CBMIR_INFERENCE || 'auto';
  if (!['auto', 'onnxruntime', 'tfjs'].includes(inference)) problems.push(`CBMIR_INFERENCE must be auto, onnxruntime or tfjs, got "${inference}"`);
  const embedBatchSize = integer('CBMIR_EMBED_BATCH_SIZE', 16, 1, 256);
  // 0: a query reaching an idle engine starts at once; those arriving while it runs still form the next batch. On
  // 2 cores (ResNet-50, 10 MP queries, `pnpm bench search`, two rounds) a 5 ms window measured p50 93-95 ms at
  // concurrency 1 against 78-79 ms without, and no more throughput at concurrency 4 (11.9-12.5 against 11.3-12.6 queries/s).
  const embedBatchWindowMs = integer('CBMIR_EMBED_BATCH_WINDOW_MS', 0, 0, 1000);

  const defaultModelRaw = env.CBMIR_DEFAULT_MODEL || undefined;
  let defaultModel: string | null = existsSync(join(SHIPPED_MODEL_DIR, 'metadata.json')) ? SHIPPED_MODEL_DIR : null;
  if (defaultModelRaw === 'untrained') defaultModel = null;
  else if (defaultModelRaw) {
    defaultModel = resolve(defaultModelRaw);
    if (!existsSync(join(defaultModel, 'metadata.json')))
      problems.push(`CBMIR_DEFAULT_MODEL must be a model directory (with metadata.json) or "untrained", got "${defaultModelRaw}"`);
  }

  const logLevel = env.LOG_LEVEL || 'info';
  if (!LOG_LEVELS.includes(logLevel)) problems.push(`LOG_LEVEL must be one of ${LOG_LEVELS.join(', ')}`);

  if (problems.length > 0) throw new ConfigError(problems);
  return {
    port,
    host: env.HOST || '0.0.0.0',
    databaseUrl,
    readUrls,
    maxReadLagSeconds,
    role: role as Config['role'],
    dataDir: resolve(env.CBMIR_DATA_DIR || './data'),
    backend: backendRaw as BackendPreference | undefined,
    inference: inference as Config['inference'],
    defaultModel,
    embedBatchSize,
    embedBatchWindowMs,
    demoImages,
    demoTrainSeconds,
    maxUploadBytes: maxUploadMb * 1024 * 1024,
    logLevel,
    adminPassword,
    sessionHours,
    searchRateLimit,
    searchMegapixelsPerMinute,
    searchConcurrency,
    searchQueue,
    secureCookies: secureRaw === 'true',
    archiveLimits,
    ingestBatchSize,
    nearDuplicateDistance,
    jobLeaseSeconds,
    metricsPort,
    metricsHost: env.CBMIR_METRICS_HOST || '127.0.0.1',
  };
}
