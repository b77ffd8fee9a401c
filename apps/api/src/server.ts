import {
  catchUp,
  type CbmirServices,
  type Config,
  type MetricsServer,
  openProcess,
  searchAdmissionFactory,
  seedDemoImages,
  startMetricsServer,
  trainDemoModel,
} from '@cbmir/core';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildApp } from './app.ts';

/** First-start secrets, in a file readable by the server's user only (mode 0600, created exclusively). */
export function writeFirstStartCredentials(dataDir: string, generatedPassword: string | null, apiKey: string): string {
  mkdirSync(dataDir, { recursive: true });
  const path = join(dataDir, FIRST_START_CREDENTIALS_FILE);
  rmSync(path, { force: true }); // a leftover of an earlier data directory; never write through a link
  writeFileSync(
    path,
    [
      '# cbmir first start: shown nowhere else. Delete this file once you have stored the secrets.',
      generatedPassword ? `web sign-in: admin / ${generatedPassword}` : 'web sign-in: admin / the password in CBMIR_ADMIN_PASSWORD',
      `REST API key (role clinician; send it as "Authorization: Bearer <key>"): ${apiKey}`,
      '',
    ].join('\n'),
    { mode: 0o600, flag: 'wx' },
  );
  return path;
}

export const FIRST_START_CREDENTIALS_FILE = 'first-start-credentials.txt';

export interface RunningServer {
  url: string;
  config: Config;
  /** The unauthenticated metrics port's address (CBMIR_METRICS_PORT), null when not configured. */
  metricsUrl: string | null;
  /** The service graph behind the routes (in-process tests reach a seam through it, e.g. the file store). */
  services: CbmirServices;
  close(): Promise<void>;
}

/**
 * Wires database, model, services and HTTP app together from the environment and listens: migrations,
 * model load, demo seeding of an empty database and embedding of anything not yet indexed all happen here.
 */
export async function startServer(
  env: Record<string, string | undefined> = process.env,
  options: { logDestination?: NodeJS.WritableStream } = {},
): Promise<RunningServer> {
  const { config, log, logTo, services } = await openProcess(env, options);
  const { db, ingest, runtime } = services;
  try {
    const firstAdmin = await services.auth.ensureFirstAdmin(config.adminPassword);
    if (firstAdmin.created) {
      await services.audit.recordSystem({ action: 'user.create', targetType: 'user', details: { username: 'admin', role: 'admin', firstStart: true } });
      // A clinician key so REST clients (curl) work at once; revocable on the admin page like any other.
      const { key, secret } = await services.auth.createApiKey({ name: 'first-start REST key', role: 'clinician', expiresAt: null, createdBy: null });
      await services.audit.recordSystem({
        action: 'api_key.create',
        targetType: 'api_key',
        targetId: key.id,
        details: { name: key.name, role: key.role, firstStart: true },
      });
      // The secrets go to a file only the server's user can read, never to the console or the logger: a
      // container's stderr ends up in `docker logs` and log collectors. The console says where the file is.
      const credentialsFile = writeFirstStartCredentials(config.dataDir, firstAdmin.generatedPassword, secret);
      process.stderr.write(
        '\n  First start: created the admin user and a REST API key.\n' +
          (firstAdmin.generatedPassword ? '    web sign-in:  admin / a generated password' : '    web sign-in:  admin / the password in CBMIR_ADMIN_PASSWORD') +
          ' (set CBMIR_ADMIN_PASSWORD before the first start to choose it)\n' +
          `    Both secrets are in ${credentialsFile} (readable by this user only): read it, then delete it.\n\n`,
      );
    }
    if (config.demoImages > 0 && (await db.images.count()) === 0) {
      log.info(`empty database: seeding ${config.demoImages} synthetic demo images (set CBMIR_DEMO_IMAGES=0 to skip)`);
      await seedDemoImages(ingest, config.demoImages, logTo);
      if (runtime.version?.trained) {
        log.info(`the active model ${runtime.version.name} is trained: no demo model is trained on the synthetic images`);
      } else if (config.demoTrainSeconds > 0) {
        log.info(`training a demo model on the synthetic images for up to ${config.demoTrainSeconds} s (CBMIR_DEMO_TRAIN_SECONDS=0 skips it)`);
        await trainDemoModel({ ...services, dataDir: config.dataDir, log: logTo }, { seconds: config.demoTrainSeconds });
      }
    }
    // Indexing, activations and ingest jobs are the workers' (CBMIR_ROLE=worker) where this process only serves.
    const runsJobs = config.role === 'all';
    if (runsJobs) await catchUp(services, logTo);

    const app = await buildApp({
      ...services,
      archiveLimits: config.archiveLimits,
      maxUploadBytes: config.maxUploadBytes,
      searchRateLimit: config.searchRateLimit,
      searchAdmission: searchAdmissionFactory({
        megapixelsPerMinute: config.searchMegapixelsPerMinute,
        maxConcurrent: config.searchConcurrency,
        maxQueued: config.searchQueue,
      }),
      secureCookies: config.secureCookies,
      logger: log,
    });
    const address = await app.listen({ port: config.port, host: config.host });
    const url = address.replace('0.0.0.0', '127.0.0.1');
    log.info(`cbmir is ready: ${url} (API docs ${url}/api/docs)`);
    let metricsServer: MetricsServer | null = null;
    if (config.metricsPort !== null) {
      metricsServer = await startMetricsServer({ metrics: services.metrics, port: config.metricsPort, host: config.metricsHost }).catch(
        async (error: Error) => {
          await app.close();
          throw new Error(`cannot serve metrics on ${config.metricsHost}:${config.metricsPort} (CBMIR_METRICS_PORT): ${error.message}`);
        },
      );
      log.info(`metrics without authentication: ${metricsServer.url}/metrics`);
    }
    // Ingest jobs run in the background; interrupted ones resume where they stopped.
    if (runsJobs) await services.jobWorker.start();
    else log.info('CBMIR_ROLE=api: ingest jobs, activations and re-embedding are left to worker processes (pnpm cbmir worker)');
    return {
      url,
      config,
      metricsUrl: metricsServer?.url ?? null,
      services,
      async close() {
        await metricsServer?.close();
        await app.close();
        await services.close();
      },
    };
  } catch (error) {
    await services.close().catch(() => undefined);
    throw error;
  }
}
