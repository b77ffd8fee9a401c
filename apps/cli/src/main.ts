import { parseArgs } from 'node:util';
import { loadConfig, openCbmirServices, openCbmirStore } from '@cbmir/core';
import { bench, BENCH_USAGE } from './commands/bench.ts';
import { backup, BACKUP_USAGE, formatBackup, readApiKeyFile } from './commands/backup.ts';
import { formatRestore, restore } from './commands/restore.ts';
import { PROCESS_ROLES_USAGE, runApiServer, runWorker } from './commands/process-roles.ts';
import { EVAL_USAGE, evaluate, parseEvalOptions } from './commands/eval.ts';
import { formatIngestReport, ingestInput } from './commands/ingest.ts';
import { exportOnnxCommand } from './commands/export-onnx.ts';
import { activateModel, listModels, registerModel } from './commands/models.ts';
import { parseTrainOptions, train } from './commands/train.ts';
import { exitCodeOf, isParseArgsError, isUserError } from './exit-code.ts';
import { validationMetrics } from '@cbmir/retrieval';
import { UsageError } from './usage-error.ts';

const USAGE = `usage: pnpm cbmir <command> [options]

commands:
  ingest <folder|archive> [--labels labels.csv] [--source name]
      Store and index every JPEG/PNG/TIFF/WebP in a folder or a .zip/.tar/.tar.gz archive, with the same checks
      and report as an upload to the server. Labels: a CSV with header image,level (EyePACS), id_code,diagnosis
      (APTOS) or file,grade[,patient_id,eye]; without --labels, one inside the archive is used. Idempotent:
      images already stored (same bytes) are skipped. A killed run resumes when run again.
  train --data <folder> --labels <csv> --out <dir> [--engine auto|torch|tfjs] [--model siamese|supervised]
        [--arch resnet50|resnet34|resnet18|resnet-tiny] [--image-size 224] [--preprocessing graham-v4|graham-v3] [--embedding-dim 128]
        [--epochs 10] [--batch 16]
        [--margin 1] [--lr 0.001] [--seed 42] [--positive-fraction 0.5] [--validation-fraction 0.15] [--steps-per-epoch N]
        [--time-budget minutes] [--patience 3] [--keep best|last] [--name name] [--init weights] [--resume] [--register] [--activate]
        PyTorch engine only: [--pair-loss contrastive|supcon] [--temperature 0.1] [--balance 1] [--regression-weight 0] [--weight-decay 0.0001] [--select map|macro-map|kappa]
        [--flips] [--schedule cosine|constant] [--warm-restart] [--device auto|cpu|cuda] [--precision auto|bf16|fp16|fp32] [--threads N]
      Train an embedder on labelled images (pairs of same/different grade for siamese), validating retrieval on
      held-out patients each epoch; --out holds the best model, --out/checkpoint the last epoch. Ctrl-C stops
      after the current step and keeps a checkpoint; --resume continues. --register adds it as a model version.
      --engine auto (default) trains with PyTorch where a Python with torch is found (CBMIR_PYTHON, python3,
      /usr/bin/python3), else with TF.js. --init: a torchvision/timm ResNet state dict (PyTorch) or Keras'
      ResNet-50 ImageNet weights (TF.js, resnet50_weights_tf_dim_ordering_tf_kernels_notop.h5).
  models list
      Model versions; * marks the active one.
  models register <dir> [--name name]
      Register a model directory written by \`cbmir train\` as a new (inactive) version.
  models activate <id|name>
      Embed every stored image under the version, then switch search to it atomically.
  models export-onnx <id|name>
      (Re-)write the version's model.onnx (done at register and at first start anyway) and check it against
      TF.js on random images. ONNX Runtime serves a version that has one (CBMIR_INFERENCE=auto|onnxruntime|tfjs).
${EVAL_USAGE}
${BENCH_USAGE}
${BACKUP_USAGE}
${PROCESS_ROLES_USAGE}

environment: DATABASE_URL (unset: embedded database in CBMIR_DATA_DIR, default ./data), CBMIR_BACKEND
exit codes: 0 done, 1 done but some images failed, 2 usage or input error, 3 unexpected error`;

const log = { info: (m: string) => console.error(m), warn: (m: string) => console.error(`warning: ${m}`) };

/** Prints what `run` makes of the opened services, then closes them. */
async function printOpened<T extends { close(): Promise<void> }>(opening: Promise<T>, run: (opened: T) => Promise<string>): Promise<number> {
  const opened = await opening;
  try {
    console.log(await run(opened));
    return 0;
  } finally {
    await opened.close();
  }
}

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
    if (positionals.length !== 1) throw new UsageError('ingest takes exactly one folder or archive');
    const services = await openCbmirServices(loadConfig(), log);
    try {
      const report = await ingestInput(services, { input: positionals[0]!, labels: values.labels, source: values.source });
      console.log(formatIngestReport(report));
      if (report.job.status !== 'completed') return 2;
      return report.failed.length > 0 ? 1 : 0;
    } finally {
      await services.close();
    }
  }
  if (command === 'eval') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: {
        ...Object.fromEntries(
          ['data', 'labels', 'model', 'arch', 'image-size', 'embedding-dim', 'seed', 'gallery', 'gallery-labels', 'layers', 'map-points', 'out'].map((name) => [
            name,
            { type: 'string' as const },
          ]),
        ),
        untrained: { type: 'boolean' },
        'list-layers': { type: 'boolean' },
        'no-store': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    if (positionals.length > 0) throw new UsageError(`eval takes no positional arguments (got "${positionals[0]}"); use --data <folder>`);
    const options = parseEvalOptions(values);
    const services = await openCbmirServices(loadConfig(), log);
    try {
      const outcome = await evaluate(services, options, (message) => console.error(message));
      console.log(outcome.text);
      return outcome.reports.some((report) => report.failed.length > 0) ? 1 : 0;
    } finally {
      await services.close();
    }
  }
  if (command === 'bench') return bench(rest, (message) => console.error(message));
  if (command === 'serve' || command === 'worker') {
    if (rest.length > 0) throw new UsageError(`${command} takes no arguments: it is configured by the environment (see README, Configuration)`);
    return command === 'serve' ? runApiServer() : runWorker();
  }
  if (command === 'backup' || command === 'restore') {
    const { values, positionals } = parseArgs({
      args: rest,
      allowPositionals: true,
      options: command === 'backup' ? { server: { type: 'string' }, 'api-key-file': { type: 'string' } } : { force: { type: 'boolean' } },
    });
    if (positionals.length !== 1) throw new UsageError(`${command} takes exactly one folder\n\n${BACKUP_USAGE}`);
    const config = loadConfig();
    const dir = positionals[0]!;
    const say = (message: string) => console.error(message);
    if (command === 'backup') {
      const apiKey = typeof values['api-key-file'] === 'string' ? await readApiKeyFile(values['api-key-file']) : undefined;
      const serverUrl = typeof values.server === 'string' ? values.server : undefined;
      console.log(formatBackup(dir, await backup({ config, dir, serverUrl, apiKey, log: say })));
    } else {
      console.log(formatRestore(dir, config, await restore({ config, dir, force: values.force === true, log: say })));
    }
    return 0;
  }
  if (command === 'train') {
    const { values } = parseArgs({
      args: rest,
      options: {
        ...Object.fromEntries(
          [
            'data',
            'labels',
            'out',
            'engine',
            'model',
            'arch',
            'image-size',
            'preprocessing',
            'embedding-dim',
            'epochs',
            'batch',
            'margin',
            'lr',
            'seed',
            'positive-fraction',
            'validation-fraction',
            'steps-per-epoch',
            'time-budget',
            'patience',
            'keep',
            'name',
            'init',
            'pair-loss',
            'temperature',
            'balance',
            'regression-weight',
            'weight-decay',
            'select',
            'device',
            'precision',
            'threads',
            'schedule',
          ].map((name) => [name, { type: 'string' as const }]),
        ),
        flips: { type: 'boolean' },
        'warm-restart': { type: 'boolean' },
        resume: { type: 'boolean' },
        register: { type: 'boolean' },
        activate: { type: 'boolean' },
      },
    });
    const options = parseTrainOptions(values);
    const config = loadConfig();
    const controller = new AbortController();
    const stop = () => {
      console.error('\nstopping after this step and saving a checkpoint (Ctrl-C again to quit at once)');
      controller.abort();
      process.once('SIGINT', () => process.exit(130));
    };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
    const { result, summary } = await train({ ...options, dataDir: config.dataDir, backend: config.backend, validate: validationMetrics }, controller.signal);
    console.log(summary);
    if (values.register || values.activate) {
      const services = await openCbmirServices(config, log);
      try {
        console.log(await registerModel(services, options.out));
        if (values.activate) console.log(await activateModel(services, (await services.models.list())[0]!.id));
      } finally {
        await services.close();
      }
    }
    return result.stoppedBy === 'interrupted' ? 130 : 0;
  }
  if (command === 'models') {
    const { values, positionals } = parseArgs({ args: rest, allowPositionals: true, options: { name: { type: 'string' } } });
    const [action, argument] = positionals;
    // list and register need the database and the registry only; activate and export-onnx load networks.
    if (action === 'list') return printOpened(openCbmirStore(loadConfig(), log), listModels);
    if (action === 'register' && argument) return printOpened(openCbmirStore(loadConfig(), log), (store) => registerModel(store, argument, values.name));
    if (action === 'activate' && argument) return printOpened(openCbmirServices(loadConfig(), log), (services) => activateModel(services, argument));
    if (action === 'export-onnx' && argument) return printOpened(openCbmirServices(loadConfig(), log), (services) => exportOnnxCommand(services, argument));
    throw new UsageError(`models takes list, register <dir>, activate <id|name> or export-onnx <id|name>\n\n${USAGE}`);
  }
  throw new UsageError(`unknown command "${command}"\n\n${USAGE}`);
}

try {
  process.exitCode = await main(process.argv.slice(2));
} catch (error) {
  process.exitCode = exitCodeOf(error);
  if (isParseArgsError(error)) console.error(`error: ${error.message}\n\n${USAGE}`);
  else if (isUserError(error)) console.error(`error: ${error.message}`);
  else console.error(error);
}
