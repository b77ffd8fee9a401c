export {
  ConflictError,
  DOMAIN_ERRORS,
  DomainError,
  ForbiddenError,
  InsufficientStorageError,
  InvalidInputError,
  NotFoundError,
  notFound,
  RateLimitedError,
  TooLargeError,
  UnauthenticatedError,
  UnavailableError,
  UnprocessableError,
  UnsupportedMediaError,
  type DomainErrorKind,
  type DomainErrorOptions,
} from './errors/domain-error.ts';
export { detectLabelLayout, labelKey, LabelFileError, parseLabelFile, type ImageLabel, type LabelFile, type LabelLayout } from './labels/label-file.ts';
export { activationProgress, type ActivationProgress } from './models/activation-progress.ts';
export type { Logger } from './logger.ts';
export { modelRegistryFactory, versionModelDir, type ModelRegistry } from './models/model-registry.ts';
export { fileStoreFactory, type FileStore } from './storage/file-store.ts';
export { type ArchiveFileSpec, buildTar, buildZip } from './archives/archive-builder.ts';
export { type ArchiveLimits, MAX_LABEL_FILE_BYTES } from './archives/archive-limits.ts';
export type { AuditTrail } from './auth/audit-trail.ts';
export type { AuthService } from './auth/auth-service.ts';
export { allows, type Principal } from './auth/principal.ts';
export { type CbmirServices, type CbmirStore, openCbmirServices, openCbmirStore } from './cbmir-services.ts';
export { type Config, ConfigError, loadConfig, SHIPPED_MODEL_DIR } from './config.ts';
export {
  type EmbeddingSource,
  type EvaluationData,
  type EvaluationImage,
  type EvaluationService,
  evaluationServiceFactory,
  type ModelRef,
} from './evaluation/evaluation-service.ts';
export { createPreprocessedMemo } from './evaluation/evaluation-vectors.ts';
export { type ExplanationService, explanationServiceFactory } from './explanations/explanation-service.ts';
export { type ImageCatalog, imageCatalogFactory, type ImageOrigin } from './images/image-catalog.ts';
export { seedDemoImages } from './ingest/demo-seed.ts';
export { type IngestJobService, ingestJobServiceFactory } from './ingest/ingest-jobs.ts';
export { type IngestItem, type IngestOutcome, type IngestService, ingestServiceFactory } from './ingest/ingest-service.ts';
export { type JobWorker, jobWorkerFactory, MAX_ATTEMPTS } from './jobs/job-worker.ts';
export type { CbmirMetrics } from './metrics/cbmir-metrics.ts';
export { type MetricsServer, startMetricsServer } from './metrics/metrics-server.ts';
export { DEMO_MODEL_NAME, trainDemoModel } from './models/demo-model.ts';
export { embedMissing } from './models/embed-missing.ts';
export type { ModelActivation } from './models/model-activation.ts';
export { type ModelRuntime, modelRuntimeFactory } from './models/model-runtime.ts';
export { type SearchAdmission, searchAdmissionFactory } from './search/search-admission.ts';
export { type SearchHistory, searchHistoryFactory } from './search/search-history.ts';
export { checkRegion, cropQuery, originalUrl, type SearchService, searchServiceFactory, thumbnailUrl, toImageFilter } from './search/search-service.ts';
export { sweepOrphanFiles } from './storage/orphan-sweep.ts';
export { catchUp, openProcess } from './process/open-process.ts';
export { createLogger, wantsPrettyLogs } from './process/pino-logger.ts';
export { startWorker, type RunningWorker } from './process/worker-process.ts';
