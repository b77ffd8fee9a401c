import { type CbmirServices, openCbmirServices } from '../cbmir-services.ts';
import { loadConfig } from '../config.ts';
import type { Logger } from '../logger.ts';
import { embedMissing } from '../models/embed-missing.ts';
import { createLogger, wantsPrettyLogs } from './pino-logger.ts';

/** Configuration, logger and services of a server or worker process, from its environment. */
export async function openProcess(env: Record<string, string | undefined>, options: { logDestination?: NodeJS.WritableStream }) {
  const config = loadConfig(env);
  const log = createLogger({
    level: config.logLevel,
    pretty: !options.logDestination && wantsPrettyLogs(env, process.stdout.isTTY === true),
    ...(options.logDestination ? { destination: options.logDestination } : {}),
  });
  const logTo: Logger = { info: (m: string) => log.info(m), warn: (m: string) => log.warn(m) };
  return { config, log, logTo, services: await openCbmirServices(config, logTo) };
}

/** Embeds stored images the active version lacks, and takes up activations left unfinished. */
export async function catchUp(services: CbmirServices, log: Logger): Promise<void> {
  const backfilled = await embedMissing({ ...services, log }, services.runtime.active!, {
    onProgress: (n) => log.info(`indexing stored images: ${n} embedded`),
  });
  if (backfilled > 0) log.info(`indexed ${backfilled} stored images under the active model`);
  await services.activation.resumePending();
}
