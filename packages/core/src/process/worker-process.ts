import type { Config } from '../config.ts';
import { startMetricsServer, type MetricsServer } from '../metrics/metrics-server.ts';
import { catchUp, openProcess } from './open-process.ts';

export interface RunningWorker {
  config: Config;
  /** Its metrics port's address (CBMIR_METRICS_PORT: a worker has no other HTTP), null when not configured. */
  metricsUrl: string | null;
  close(): Promise<void>;
}

/**
 * A worker process (CBMIR_ROLE=worker, `pnpm cbmir worker`): no HTTP; it runs ingest jobs (claimed with a
 * lease, so a worker that dies loses nothing: another takes the job over when the lease runs out), model
 * activations that API processes recorded, and the indexing of images the active version lacks. Any number
 * run against one PostgreSQL server, beside any number of API processes (CBMIR_ROLE=api).
 */
export async function startWorker(
  env: Record<string, string | undefined> = process.env,
  options: { logDestination?: NodeJS.WritableStream } = {},
): Promise<RunningWorker> {
  const { config, log, logTo, services } = await openProcess({ ...env, CBMIR_ROLE: 'worker' }, options);
  let metricsServer: MetricsServer | null = null;
  try {
    // Job throughput and embedding happen here: the metrics port is how a worker shows them.
    if (config.metricsPort !== null) {
      metricsServer = await startMetricsServer({ metrics: services.metrics, port: config.metricsPort, host: config.metricsHost });
      log.info(`metrics without authentication: ${metricsServer.url}/metrics`);
    }
    await catchUp(services, logTo);
    await services.jobWorker.start();
    // Activations requested through an API process since: taken up within ACTIVATION_POLL_MS.
    const poll = setInterval(() => {
      services.activation.resumePending().catch((error: Error) => log.warn(`looking for activations failed: ${error.message}`));
    }, ACTIVATION_POLL_MS);
    log.info(`cbmir worker is ready (pid ${process.pid}): ingest jobs, activations, indexing`);
    return {
      config,
      metricsUrl: metricsServer?.url ?? null,
      async close() {
        clearInterval(poll);
        await metricsServer?.close();
        await services.close();
      },
    };
  } catch (error) {
    await metricsServer?.close().catch(() => undefined);
    await services.close().catch(() => undefined);
    throw error;
  }
}

const ACTIVATION_POLL_MS = 2000;
