import { openDatabase, type Database } from '@cbmir/db';
import { auditTrailFactory, type AuditTrail } from './auth/audit-trail.ts';
import { authServiceFactory, type AuthService } from './auth/auth-service.ts';
import { loginThrottleFactory } from './auth/login-throttle.ts';
import type { Config } from './config.ts';
import { ingestServiceFactory, type IngestService } from './services/ingest-service.ts';
import { modelActivationFactory, type ModelActivation } from './services/model-activation.ts';
import { modelRegistryFactory, type ModelRegistry } from './services/model-registry.ts';
import { modelRuntimeFactory, type Logger, type ModelRuntime } from './services/model-runtime.ts';
import { searchServiceFactory, type SearchService } from './services/search-service.ts';
import { fileStoreFactory, type FileStore } from './storage/file-store.ts';

export interface CbmirServices {
  db: Database;
  files: FileStore;
  runtime: ModelRuntime;
  ingest: IngestService;
  search: SearchService;
  auth: AuthService;
  audit: AuditTrail;
  models: ModelRegistry;
  activation: ModelActivation;
  close(): Promise<void>;
}

/**
 * Opens the database (applying migrations), loads the active model and builds the services: the one
 * wiring shared by the server and the CLI.
 */
export async function openCbmirServices(config: Config, log: Logger): Promise<CbmirServices> {
  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  log.info(
    `database: ${config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}`}` +
      (db.appliedMigrations.length ? `, applied migrations ${db.appliedMigrations.join(', ')}` : ''),
  );
  const files = fileStoreFactory({ dataDir: config.dataDir });
  const runtime = modelRuntimeFactory({ db, dataDir: config.dataDir, backend: config.backend, log });
  try {
    await runtime.start();
  } catch (error) {
    await db.close();
    throw error;
  }
  const activation = modelActivationFactory({ db, files, runtime, log });
  return {
    db,
    files,
    runtime,
    models: modelRegistryFactory({ db, dataDir: config.dataDir }),
    activation,
    ingest: ingestServiceFactory({ db, files, runtime }),
    search: searchServiceFactory({ db, runtime }),
    auth: authServiceFactory({ db, throttle: loginThrottleFactory(), sessionHours: config.sessionHours }),
    audit: auditTrailFactory({ db }),
    async close() {
      await activation.stop();
      await runtime.stop();
      await db.close();
    },
  };
}
