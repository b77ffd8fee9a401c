export { buildApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { startServer, startWorker, type RunningServer, type RunningWorker } from './server.ts';
export { openCbmirServices, openCbmirStore, type CbmirServices, type CbmirStore } from './cbmir-services.ts';
export { ingestServiceFactory, type IngestItem, type IngestOutcome, type IngestService } from './services/ingest-service.ts';
export { modelRuntimeFactory, type ModelRuntime } from './services/model-runtime.ts';
export { searchServiceFactory, type SearchService } from './services/search-service.ts';
export { explanationServiceFactory, type ExplanationService } from './services/explanation-service.ts';
export {
  createPreprocessedMemo,
  evaluationServiceFactory,
  type EmbeddingSource,
  type EvaluationData,
  type EvaluationImage,
  type EvaluationService,
  type ModelRef,
} from './services/evaluation-service.ts';
export { buildTar, buildZip, type ArchiveFileSpec } from './archives/archive-builder.ts';
export { ingestJobServiceFactory, type IngestJobService } from './services/ingest-jobs.ts';
export { jobWorkerFactory, type JobWorker } from './jobs/job-worker.ts';
