export { buildApp, type AppDeps } from './app.ts';
export { loadConfig, ConfigError, type Config } from './config.ts';
export { startServer, type RunningServer } from './server.ts';
export { openCbmirServices, type CbmirServices } from './cbmir-services.ts';
export { ingestServiceFactory, type IngestItem, type IngestOutcome, type IngestService } from './services/ingest-service.ts';
export { modelRuntimeFactory, type ModelRuntime } from './services/model-runtime.ts';
export { searchServiceFactory, type SearchService } from './services/search-service.ts';
export { fileStoreFactory, type FileStore } from './storage/file-store.ts';
export { AppError } from './errors.ts';
