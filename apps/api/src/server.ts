import { openDatabase } from '@cbmir/db';
import { pino } from 'pino';
import { buildApp } from './app.ts';
import { loadConfig, type Config } from './config.ts';
import { seedDemoImages } from './services/demo-seed.ts';
import { ingestServiceFactory } from './services/ingest-service.ts';
import { modelRuntimeFactory } from './services/model-runtime.ts';
import { searchServiceFactory } from './services/search-service.ts';
import { fileStoreFactory } from './storage/file-store.ts';

export interface RunningServer {
  url: string;
  config: Config;
  close(): Promise<void>;
}

/**
 * Wires database, model, services and HTTP app together from the environment and listens: migrations,
 * model load, demo seeding of an empty database and embedding of anything not yet indexed all happen here.
 */
export async function startServer(env: Record<string, string | undefined> = process.env): Promise<RunningServer> {
  const config = loadConfig(env);
  const log = pino({ level: config.logLevel });
  const logTo = { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };

  const db = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  log.info(`database: ${config.databaseUrl ? 'PostgreSQL server' : `embedded PGlite in ${config.dataDir}`}` +
    (db.appliedMigrations.length ? `, applied migrations ${db.appliedMigrations.join(', ')}` : ''));
  const files = fileStoreFactory({ dataDir: config.dataDir });
  const runtime = modelRuntimeFactory({ db, dataDir: config.dataDir, backend: config.backend, log: logTo });
  try {
    await runtime.start();
    const ingest = ingestServiceFactory({ db, files, runtime });
    const search = searchServiceFactory({ db, runtime });

    if (config.demoImages > 0 && (await db.images.count()) === 0) {
      log.info(`empty database: seeding ${config.demoImages} synthetic demo images (set CBMIR_DEMO_IMAGES=0 to skip)`);
      await seedDemoImages(ingest, config.demoImages, logTo);
    }
    const backfilled = await ingest.backfill({ onProgress: (n) => log.info(`indexing stored images: ${n} embedded`) });
    if (backfilled > 0) log.info(`indexed ${backfilled} stored images under the active model`);

    const app = await buildApp({ db, files, runtime, search, maxUploadBytes: config.maxUploadBytes, logger: log });
    const address = await app.listen({ port: config.port, host: config.host });
    const url = address.replace('0.0.0.0', '127.0.0.1');
    log.info(`cbmir is ready: ${url} (API docs ${url}/api/docs)`);
    return {
      url,
      config,
      async close() {
        await app.close();
        await runtime.stop();
        await db.close();
      },
    };
  } catch (error) {
    await runtime.stop().catch(() => undefined);
    await db.close();
    throw error;
  }
}
