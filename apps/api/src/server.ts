import { pino } from 'pino';
import { buildApp } from './app.ts';
import { openCbmirServices } from './cbmir-services.ts';
import { loadConfig, type Config } from './config.ts';
import { seedDemoImages } from './services/demo-seed.ts';

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
  const services = await openCbmirServices(config, { info: (m) => log.info(m), warn: (m) => log.warn(m) });
  const { db, files, runtime, ingest, search } = services;
  try {
    if (config.demoImages > 0 && (await db.images.count()) === 0) {
      log.info(`empty database: seeding ${config.demoImages} synthetic demo images (set CBMIR_DEMO_IMAGES=0 to skip)`);
      await seedDemoImages(ingest, config.demoImages, { info: (m) => log.info(m), warn: (m) => log.warn(m) });
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
        await services.close();
      },
    };
  } catch (error) {
    await services.close().catch(() => undefined);
    throw error;
  }
}
