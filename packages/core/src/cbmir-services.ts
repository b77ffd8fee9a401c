import { fileStoreFactory, type FileStore } from './storage/file-store.ts';
import { modelRegistryFactory, type ModelRegistry } from './models/model-registry.ts';
import type { Logger } from './logger.ts';
import { openDatabase, type Database } from '@cbmir/db';
import { auditTrailFactory, type AuditTrail } from './auth/audit-trail.ts';
import { authServiceFactory, type AuthService } from './auth/auth-service.ts';
import { hashingQueueFactory } from './auth/hashing-queue.ts';
import { loginThrottleFactory } from './auth/login-throttle.ts';
import type { Config } from './config.ts';
import { jobWorkerFactory, type JobWorker } from './jobs/job-worker.ts';
import { createCbmirMetrics, type CbmirMetrics } from './metrics/cbmir-metrics.ts';
import { ingestJobServiceFactory, type IngestJobService } from './ingest/ingest-jobs.ts';
import { evaluationServiceFactory, type EvaluationService } from './evaluation/evaluation-service.ts';
import { imageCatalogFactory, type ImageCatalog } from './images/image-catalog.ts';
import { ingestServiceFactory, type IngestService } from './ingest/ingest-service.ts';
import { type ExplanationService, explanationServiceFactory } from './explanations/explanation-service.ts';
import { patientRefSalt } from './search/patient-ref-salt.ts';
import { type SearchHistory, searchHistoryFactory } from './search/search-history.ts';
import { modelActivationFactory, type ModelActivation } from './models/model-activation.ts';
import { modelRuntimeFactory, type ModelRuntime } from './models/model-runtime.ts';
import { searchServiceFactory, type SearchService } from './search/search-service.ts';

/**
 * What commands about stored data and model versions need (`cbmir models list`, `models register`): the
 * database, the file store and the model registry, with no model runtime and so no network loaded.
 */
export interface CbmirStore {
  db: Database;
  files: FileStore;
  models: ModelRegistry;
  audit: AuditTrail;
  close(): Promise<void>;
}

export interface CbmirServices extends CbmirStore {
  runtime: ModelRuntime;
  /** The stored cases: one, a page, a patient's others, where one came from. */
  images: ImageCatalog;
  ingest: IngestService;
  search: SearchService;
  /** Each user's own searches (My searches) and their query photos. */
  history: SearchHistory;
  /** Why a result is similar: occlusion maps of a query and a case. */
  explanations: ExplanationService;
  auth: AuthService;
  activation: ModelActivation;
  /** Retrieval evaluation of model versions and layers (`cbmir eval`). */
  evaluations: EvaluationService;
  /** Archive and folder ingest jobs; the worker runs them (started by the server, used directly by the CLI). */
  jobs: IngestJobService;
  jobWorker: JobWorker;
  /** Prometheus metrics of this process (its own registry). */
  metrics: CbmirMetrics;
}

/** Opens the database (applying migrations) as configured, and says which one it is. */
async function openConfiguredDatabase(config: Config, log: Logger): Promise<Database> {
  const db = await openDatabase({
    databaseUrl: config.databaseUrl,
    dataDir: config.dataDir,
    onConnectionError: (error) => log.warn(`database connection lost (it is replaced at the next query): ${error.message}`),
    readUrls: config.readUrls,
    maxReadLagSeconds: config.maxReadLagSeconds,
    onReadReplicaWarning: (message) => log.warn(message),
  });
  log.info(
    `database: ${config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}`}` +
      (config.readUrls.length ? `, reads on ${config.readUrls.length} replica(s) (${db.readReplicas().filter((r) => r.fit).length} fit now)` : '') +
      (db.appliedMigrations.length ? `, applied migrations ${db.appliedMigrations.join(', ')}` : ''),
  );
  return db;
}

/**
 * Opens the database, the file store and the model registry only: no model runtime, no network, and no
 * version made active (the server and openCbmirServices do that at their start).
 */
export async function openCbmirStore(config: Config, log: Logger): Promise<CbmirStore> {
  const db = await openConfiguredDatabase(config, log);
  return {
    db,
    files: fileStoreFactory({ dataDir: config.dataDir }),
    models: modelRegistryFactory({ db, dataDir: config.dataDir, backend: config.backend, log }),
    audit: auditTrailFactory({ db }),
    close: () => db.close(),
  };
}

/**
 * Opens the database (applying migrations), loads the active model and builds the services: the one
 * wiring shared by the server and the CLI commands that embed, search or index.
 */
export async function openCbmirServices(config: Config, log: Logger): Promise<CbmirServices> {
  const db = await openConfiguredDatabase(config, log);
  const files = fileStoreFactory({ dataDir: config.dataDir });
  const metrics = createCbmirMetrics();
  const models = modelRegistryFactory({ db, dataDir: config.dataDir, backend: config.backend, log });
  const runtime = modelRuntimeFactory({
    defaultVersion: config.defaultModel ? () => models.registerDefault(config.defaultModel!) : undefined,
    db,
    dataDir: config.dataDir,
    backend: config.backend,
    inference: config.inference,
    batching: { maxBatch: config.embedBatchSize, windowMs: config.embedBatchWindowMs },
    log,
    onEmbedBatch: (size, ms) => metrics.observeEmbedBatch(size, ms / 1000),
  });
  try {
    await runtime.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const activation = modelActivationFactory({ db, files, runtime, log, runInProcess: config.role !== 'api' });
  const patientSalt = patientRefSalt(config.dataDir);
  const ingest = ingestServiceFactory({ db, files, runtime, nearDuplicateDistance: config.nearDuplicateDistance, patientSalt });
  const jobs = ingestJobServiceFactory({
    db,
    files,
    ingest,
    limits: config.archiveLimits,
    batchSize: config.ingestBatchSize,
    onItemsCommitted: (counts) => metrics.countJobItems(counts),
  });
  const jobWorker = jobWorkerFactory({
    db,
    jobs,
    files,
    leaseSeconds: config.jobLeaseSeconds,
    embedded: !config.databaseUrl,
    log,
    onFinished: (status) => metrics.countJobFinished(status),
  });
  const audit = auditTrailFactory({ db });
  metrics.attach({ db, runtime, onCollectError: (error) => log.warn(`metrics: cannot read from the database: ${error.message}`) });
  return {
    db,
    files,
    runtime,
    models,
    activation,
    images: imageCatalogFactory({ db }),
    ingest,
    jobs,
    jobWorker,
    metrics,
    search: searchServiceFactory({ db, runtime, patientSalt }),
    history: searchHistoryFactory({ db, files }),
    explanations: explanationServiceFactory({ db, files, runtime }),
    evaluations: evaluationServiceFactory({ db, runtime, models, audit, dataDir: config.dataDir, log }),
    // On a PostgreSQL server the login throttle's failures are shared by every API process.
    auth: authServiceFactory({
      db,
      throttle: loginThrottleFactory(config.databaseUrl ? { shared: db.loginFailures } : {}),
      hashing: hashingQueueFactory(),
      sessionHours: config.sessionHours,
    }),
    audit,
    async close() {
      await jobWorker.stop();
      await activation.stop();
      await runtime.stop();
      await db.close();
    },
  };
}
