import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip, loadConfig, openCbmirServices } from '@cbmir/api';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';

export interface IngestBenchResult {
  images: number;
  batchSize: number;
  backend: string | null;
  model: string;
  archiveBytes: number;
  /** Archive upload path end to end: inspection, decode, dedup, files, preprocess, embed, commit. */
  ingest: { seconds: number; imagesPerSecond: number };
  /** The same images through preprocess + embed alone, same model, same batch size. */
  embedding: { seconds: number; imagesPerSecond: number };
  /** Share of the ingest time spent outside preprocess + embed. */
  overhead: number;
}

/**
 * `pnpm bench ingest [--images N] [--json]`: draws N synthetic fundus images into a zip, ingests it through
 * the archive job service into a throwaway data directory (embedded database), and sets the rate beside the
 * bare embedding rate of the same images, so the pipeline's own cost shows.
 */
export async function benchIngest(options: { images: number; log: (message: string) => void }): Promise<IngestBenchResult> {
  const dataDir = await mkdtemp(join(tmpdir(), 'cbmir-bench-ingest-'));
  try {
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const config = loadConfig({ ...env, CBMIR_DATA_DIR: dataDir, CBMIR_DEMO_IMAGES: '0' });
    options.log(`drawing ${options.images} synthetic fundus images`);
    const images = await Promise.all(
      Array.from({ length: options.images }, (_, i) => generateSyntheticFundus({ seed: 50_000 + i, grade: (i % 5) as FundusGrade })),
    );
    const archivePath = join(dataDir, 'bench.zip');
    const archive = buildZip(images.map((data, i) => ({ name: `images/bench-${i}.jpg`, data, deflate: false })));
    await writeFile(archivePath, archive);

    const quiet = { info: () => {}, warn: (m: string) => options.log(`warning: ${m}`) };
    const services = await openCbmirServices(config, quiet);
    try {
      const model = services.runtime.active!;
      const batchSize = config.ingestBatchSize;
      // Warm-up: the first batch compiles kernels and grows the wasm heap; neither run should pay for it.
      await services.runtime.embedImages(images.slice(0, batchSize), model);

      const embedAlone = async () => {
        const started = performance.now();
        for (let start = 0; start < images.length; start += batchSize) {
          await services.runtime.embedImages(images.slice(start, start + batchSize), model);
        }
        return (performance.now() - started) / 1000;
      };
      options.log(`embedding alone: ${options.images} images, batches of ${batchSize}`);
      const embedBefore = await embedAlone();

      options.log(`ingesting the archive (${Math.round(archive.length / 1024)} KB)`);
      const started = performance.now();
      const job = await services.jobs.create({
        id: randomUUID(),
        inputPath: archivePath,
        owned: false,
        fileName: 'bench.zip',
        source: 'bench',
        claimedBy: services.jobWorker.workerId,
      });
      const finished = await services.jobWorker.runJob(job);
      const ingestSeconds = (performance.now() - started) / 1000;
      // Embedding alone once more, after: the better of the two is the fair baseline on a busy machine.
      options.log('embedding alone again');
      const embedSeconds = Math.min(embedBefore, await embedAlone());
      if (finished.status !== 'completed' || finished.added !== options.images) {
        throw new Error(`the benchmark ingest ended ${finished.status} with ${finished.added}/${options.images} added: ${finished.error ?? ''}`);
      }
      return {
        images: options.images,
        batchSize,
        backend: services.runtime.backend,
        model: `${model.version.architecture}@${model.version.inputSize}px`,
        archiveBytes: archive.length,
        ingest: { seconds: ingestSeconds, imagesPerSecond: options.images / ingestSeconds },
        embedding: { seconds: embedSeconds, imagesPerSecond: options.images / embedSeconds },
        overhead: Math.max(0, 1 - embedSeconds / ingestSeconds),
      };
    } finally {
      await services.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

export function formatIngestBench(result: IngestBenchResult): string {
  const rate = (r: { imagesPerSecond: number; seconds: number }) => `${r.imagesPerSecond.toFixed(2)} img/s (${r.seconds.toFixed(1)} s)`;
  return [
    `ingest benchmark: ${result.images} synthetic images, ${result.model}, backend ${result.backend}, batch ${result.batchSize}`,
    `  archive ingest:            ${rate(result.ingest)}`,
    `  preprocess + embed alone:  ${rate(result.embedding)}`,
    `  pipeline overhead:         ${(result.overhead * 100).toFixed(1)}% of the ingest time (decode, hash, dedup, files, thumbnails, commit)`,
  ].join('\n');
}
