import { parseArgs } from 'node:util';
import { AppError, ConfigError, loadConfig, openCbmirServices, type CbmirServices } from '@cbmir/api';
import { formatIngestSummary, ingestFolder } from './commands/ingest.ts';
import { activateModel, listModels, registerModel } from './commands/models.ts';
import { UsageError } from './usage-error.ts';

const USAGE = `usage: pnpm cbmir <command> [options]

commands:
  ingest <folder> [--labels labels.csv] [--source name]
      Store and index every JPEG/PNG/TIFF/WebP under <folder>. Labels: CSV with header
      file,grade[,patient_id,eye]. Idempotent: images already stored (same bytes) are skipped.
  models list
      Model versions; * marks the active one.
  models register <dir> [--name name]
      Register a model directory written by \`cbmir train\` as a new (inactive) version.
  models activate <id|name>
      Embed every stored image under the version, then switch search to it atomically.

environment: DATABASE_URL (unset: embedded database in CBMIR_DATA_DIR, default ./data), CBMIR_BACKEND
exit codes: 0 done, 1 done but some images failed, 2 usage or input error, 3 unexpected error`;

const log = { info: (m: string) => console.error(m), warn: (m: string) => console.error(`warning: ${m}`) };

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (!command || command === '--help' || command === '-h' || command === 'help') {
    console.log(USAGE);
    return command ? 0 : 2;
  }
  if (command === 'ingest') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: { labels: { type: 'string' }, source: { type: 'string' } },
    });
    if (positionals.length !== 1) throw new UsageError('ingest takes exactly one folder');
    const services = await openCbmirServices(loadConfig(), log);
    try {
      const summary = await ingestFolder(services, { folder: positionals[0]!, labels: values.labels, source: values.source });
      console.log(formatIngestSummary(summary, values.labels !== undefined));
      return summary.failed.length > 0 ? 1 : 0;
    } finally {
      await services.close();
    }
  }
  if (command === 'models') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' } } });
    const [action, argument] = positionals;
    let run: (services: CbmirServices) => Promise<string>;
    if (action === 'list') run = listModels;
    else if (action === 'register' && argument) run = (services) => registerModel(services, argument, values.name);
    else if (action === 'activate' && argument) run = (services) => activateModel(services, argument);
    else throw new UsageError(`models takes list, register <dir> or activate <id|name>\n\n${USAGE}`);
    const services = await openCbmirServices(loadConfig(), log);
    try {
      console.log(await run(services));
      return 0;
    } finally {
      await services.close();
    }
  }
  throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  if (error instanceof UsageError || error instanceof ConfigError || error instanceof AppError) {
    console.error(`error: ${error.message}`);
    process.exitCode = 2;
  } else if (error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS')) {
    console.error(`error: ${error.message}\n\n${USAGE}`);
    process.exitCode = 2;
  } else {
    console.error(error);
    process.exitCode = 3;
  }
}
