import { parseArgs } from 'node:util';
import { UsageError } from '../usage-error.ts';
import { benchIngest, formatIngestBench } from './bench-ingest.ts';

export const BENCH_USAGE = `  bench ingest [--images N] [--json]
      Ingest an archive of N synthetic images (default 64) into a throwaway data directory and print
      images/s beside the bare embedding rate of the same model and batch size.`;

/** `pnpm bench <what>`: one file per benchmark, dispatched here. */
export async function bench(args: string[], log: (message: string) => void): Promise<number> {
  const [what, ...rest] = args;
  if (what === 'ingest') {
    const { values } = parseArgs({ args: rest, options: { images: { type: 'string' }, json: { type: 'boolean' } } });
    const images = values.images === undefined ? 64 : Number(values.images);
    if (!Number.isInteger(images) || images < 1 || images > 100_000) throw new UsageError('--images must be an integer from 1 to 100000');
    const result = await benchIngest({ images, log });
    console.log(values.json ? JSON.stringify(result, null, 2) : formatIngestBench(result));
    return 0;
  }
  throw new UsageError(`bench takes a benchmark name:\n${BENCH_USAGE}`);
}
