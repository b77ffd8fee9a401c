import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { HNSW_EF_CONSTRUCTION, HNSW_M } from '@cbmir/db';
import { readImageHeader } from '@cbmir/imaging';
import { UsageError } from '../usage-error.ts';
import { benchEmbed, EMBED_BENCH_USAGE, formatEmbedBench, parseModelList } from './bench-embed.ts';
import { benchExplain, EXPLAIN_BENCH_USAGE, formatExplainBench } from './bench-explain.ts';
import { benchIndex, formatIndexBench, INDEX_BENCH_USAGE } from './bench-index.ts';
import { benchIngest, formatIngestBench } from './bench-ingest.ts';
import { benchSearch, formatSearchBench, parsePhotoSize, SEARCH_BENCH_USAGE } from './bench-search.ts';
import { benchTrain, formatTrainBench, parseEngines, parseKinds, TRAIN_BENCH_USAGE } from './bench-train.ts';

export const BENCH_USAGE = `  bench ingest [--images N] [--photo-size WxH] [--json]
      Ingest an archive of N synthetic photographs (default 64; JPEG quality 90, 512x512 unless --photo-size,
      e.g. 3000x2000) into a throwaway data directory and print images/s beside preprocess + embed alone and
      the bare forward pass of the same model and batch size.
${EMBED_BENCH_USAGE}
${TRAIN_BENCH_USAGE}
${SEARCH_BENCH_USAGE}
${EXPLAIN_BENCH_USAGE}
${INDEX_BENCH_USAGE}`;

/** `pnpm bench <what>`: one file per benchmark, dispatched here. */
export async function bench(args: string[], log: (message: string) => void): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'ingest') {
    const { values } = parseArgs({ args: rest, options: { images: { type: 'string' }, 'photo-size': { type: 'string' }, json: { type: 'boolean' } } });
    const images = values.images === undefined ? 64 : Number(values.images);
    if (!Number.isInteger(images) || images < 1 || images > 100_000) throw new UsageError('--images must be an integer from 1 to 100000');
    const size = values['photo-size'] === undefined ? {} : parsePhotoSize(values['photo-size']);
    const result = await benchIngest({ images, ...size, log });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatIngestBench(result));
    return 0;
  }
  if (what === 'embed') {
    const { values } = parseArgs({
      args: rest,
      options: {
        models: { type: 'string' },
        'model-dir': { type: 'string' },
        'batch-sizes': { type: 'string' },
        batches: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const result = await benchEmbed({
      models: parseModelList(values.models ?? 'resnet50@224,resnet-tiny@64'),
      modelDir: values['model-dir'],
      batchSizes: integerList(values['batch-sizes'] ?? '1,16', '--batch-sizes', 256),
      batches: integerList(values.batches ?? '3', '--batches', 1000)[0]!,
      log,
    });
    console.log(values.json ? JSON.stringify(result) : formatEmbedBench(result));
    return 0;
  }
  if (what === 'train') {
    const { values } = parseArgs({
      args: rest,
      options: {
        engine: { type: 'string' },
        models: { type: 'string' },
        kinds: { type: 'string' },
        batch: { type: 'string' },
        steps: { type: 'string' },
        backend: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    const result = await benchTrain({
      // Default: both engines side by side where PyTorch is found, else TF.js alone.
      engines: values.engine ? parseEngines(values.engine) : 'auto',
      models: parseModelList(values.models ?? 'resnet-tiny@64,resnet18@64'),
      kinds: parseKinds(values.kinds ?? 'siamese,supervised'),
      batchSize: integerList(values.batch ?? '8', '--batch', 256)[0]!,
      steps: integerList(values.steps ?? '3', '--steps', 1000)[0]!,
      backend: values.backend,
      log,
    });
    console.log(values.json ? JSON.stringify(result) : formatTrainBench(result));
    return result.failures.length > 0 ? 1 : 0;
  }
  if (what === 'search') {
    const { values } = parseArgs({
      args: rest,
      options: {
        url: { type: 'string' },
        'api-key': { type: 'string' },
        'api-key-file': { type: 'string' },
        user: { type: 'string' },
        password: { type: 'string' },
        'password-file': { type: 'string' },
        concurrency: { type: 'string' },
        requests: { type: 'string' },
        'max-seconds': { type: 'string' },
        photo: { type: 'string' },
        'photo-size': { type: 'string' },
        burst: { type: 'string' },
        json: { type: 'boolean' },
      },
    });
    if (values.photo !== undefined && values['photo-size'] !== undefined)
      throw new UsageError('--photo and --photo-size: give one (a real photograph, or synthetic photos of a size)');
    // A secret on the command line is visible to every user of the machine (ps, /proc): files or the environment only.
    if (values['api-key'] !== undefined || values.password !== undefined) {
      throw new UsageError('secrets on the command line are visible in ps: use CBMIR_API_KEY or --api-key-file, CBMIR_ADMIN_PASSWORD or --password-file');
    }
    const result = await benchSearch({
      url: values.url ?? 'http://127.0.0.1:8080',
      apiKey: await readSecretFile(values['api-key-file'], '--api-key-file'),
      user: values.user,
      password: await readSecretFile(values['password-file'], '--password-file'),
      concurrency: integerList(values.concurrency ?? '1,4,16', '--concurrency', 256),
      requests: integerList(values.requests ?? '64', '--requests', 100_000)[0]!,
      maxSeconds: integerList(values['max-seconds'] ?? '60', '--max-seconds', 3600)[0]!,
      queries:
        values.photo !== undefined
          ? { photo: await readPhoto(values.photo) }
          : values['photo-size'] !== undefined
            ? parsePhotoSize(values['photo-size'])
            : undefined,
      burst: values.burst === undefined ? undefined : integerList(values.burst, '--burst', 10_000)[0],
      log,
    });
    console.log(values.json ? JSON.stringify(result) : formatSearchBench(result));
    const unanswered = result.burst ? result.burst.serverErrors + result.burst.networkErrors : 0;
    return result.levels.some((l) => l.errors > 0) || unanswered > 0 ? 1 : 0;
  }
  if (what === 'explain') {
    const { values } = parseArgs({ args: rest, options: { models: { type: 'string' }, runs: { type: 'string' }, json: { type: 'boolean' } } });
    const rows = await benchExplain({
      models: (values.models ?? 'untrained,models/default').split(',').map((m) => m.trim()),
      runs: integerList(values.runs ?? '3', '--runs', 100)[0]!,
      log,
    });
    console.log(values.json ? JSON.stringify(rows) : formatExplainBench(rows));
    return 0;
  }
  if (what === 'index') {
    const { values } = parseArgs({
      args: rest,
      options: {
        ...Object.fromEntries(
          ['vectors', 'dim', 'database-url', 'queries', 'k', 'ef-search', 'm', 'ef-construction', 'maintenance-work-mem', 'clusters', 'seed', 'table'].map(
            (name) => [name, { type: 'string' as const }],
          ),
        ),
        keep: { type: 'boolean' },
        'unfiltered-only': { type: 'boolean' },
        json: { type: 'boolean' },
      },
    });
    const text = (name: string) => (values as Record<string, string | boolean | undefined>)[name] as string | undefined;
    const one = (name: string, fallback: string, max: number) => integerList(text(name) ?? fallback, `--${name}`, max)[0]!;
    const databaseUrl = text('database-url') ?? process.env.DATABASE_URL;
    if (!databaseUrl || !/^postgres(ql)?:\/\//.test(databaseUrl)) {
      throw new UsageError('bench index needs a PostgreSQL server with pgvector: --database-url postgres://... or DATABASE_URL');
    }
    const maintenanceWorkMem = text('maintenance-work-mem') ?? '1GB';
    if (!/^\d+(kB|MB|GB)$/.test(maintenanceWorkMem)) throw new UsageError(`--maintenance-work-mem takes a size like 512MB or 2GB, got "${maintenanceWorkMem}"`);
    const result = await benchIndex({
      databaseUrl,
      vectors: one('vectors', '100000', 100_000_000),
      dim: one('dim', '128', 2000),
      queries: one('queries', '200', 100_000),
      k: one('k', '10', 1000),
      efSearch: integerList(text('ef-search') ?? '10,20,40,80,160,320', '--ef-search', 1000),
      m: one('m', String(HNSW_M), 100),
      efConstruction: one('ef-construction', String(HNSW_EF_CONSTRUCTION), 1000),
      maintenanceWorkMem,
      clusters: one('clusters', '256', 1_000_000),
      seed: one('seed', '42', 2 ** 31 - 1),
      keep: values.keep === true,
      ...(text('table') !== undefined ? { table: text('table') } : {}),
      unfilteredOnly: values['unfiltered-only'] === true,
      log,
    });
    console.log(values.json ? JSON.stringify(result) : formatIndexBench(result));
    return 0;
  }
  throw new UsageError(`bench takes a benchmark name:\n${BENCH_USAGE}`);
}

function integerList(value: string, flag: string, max: number): number[] {
  const list = value.split(',').map((v) => Number(v.trim()));
  if (list.length === 0 || list.some((n) => !Number.isInteger(n) || n < 1 || n > max)) {
    throw new UsageError(`${flag} takes integers from 1 to ${max}, comma-separated; got "${value}"`);
  }
  return list;
}

/** The first line of a secret file (mode 0600 is the caller's business), or undefined without one. */
/** `--photo F`: a photograph the server would accept (checked here by its header, so a typo fails before any load). */
async function readPhoto(file: string): Promise<Uint8Array> {
  const bytes = await readFile(file).catch(() => {
    throw new UsageError(`--photo: cannot read ${file}`);
  });
  await readImageHeader(bytes).catch((error: Error) => {
    throw new UsageError(`--photo ${file}: ${error.message}`);
  });
  return bytes;
}

async function readSecretFile(file: string | undefined, option: string): Promise<string | undefined> {
  if (file === undefined) return undefined;
  const text = await readFile(file, 'utf8').catch(() => {
    throw new UsageError(`${option}: cannot read ${file}`);
  });
  const secret = text.split('\n')[0]!.trim();
  if (!secret) throw new UsageError(`${option}: ${file} is empty`);
  return secret;
}
