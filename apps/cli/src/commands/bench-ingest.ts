import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip, loadConfig, openCbmirServices } from '@cbmir/core';
import { generateSyntheticFundus, preprocessFundus, type FundusGrade } from '@cbmir/imaging';

export interface IngestBenchResult {
  images: number;
  /** The synthetic photographs' size (JPEG, quality 90). */
  width: number;
  height: number;
  batchSize: number;
  backend: string | null;
  model: string;
  archiveBytes: number;
  /** Archive upload path end to end: inspection, decode, dedup, files, preprocess, embed, commit. */
  ingest: { seconds: number; imagesPerSecond: number };
  /** The same images through preprocess + embed alone, same model, same batch size. */
  embedding: { seconds: number; imagesPerSecond: number };
  /** The forward pass alone on the already-preprocessed images, same batches: the engine's bare rate. */
  forwardPass: { seconds: number; imagesPerSecond: number };
  /** Share of the ingest time spent outside preprocess + embed. */
  overhead: number;
}

/**
 * `pnpm bench ingest [--images N] [--photo-size WxH] [--json]`: draws N synthetic fundus photographs (JPEG,
 * quality 90; 512x512 unless --photo-size, e.g. 3000x2000 for a camera's frame) into a zip, ingests it through
 * the archive job service into a throwaway data directory (embedded database), and sets the rate beside
 * preprocess + embed of the same images and beside the bare forward pass, so the pipeline's own cost shows.
 */
export async function benchIngest(options: { images: number; width?: number; height?: number; log: (message: string) => void }): Promise<IngestBenchResult> {
  const width = options.width ?? 512;
  const height = options.height ?? 512;
  const dataDir = await mkdtemp(join(tmpdir(), 'cbmir-bench-ingest-'));
  try {
    const { DATABASE_URL: _ignored, ...env } = process.env;
    const config = loadConfig({ ...env, CBMIR_DATA_DIR: dataDir, CBMIR_DEMO_IMAGES: '0' });
    options.log(`drawing ${options.images} synthetic fundus images of ${width}x${height}`);
    const images: Buffer[] = [];
    // One at a time: a hundred camera frames drawn at once would hold them all in memory at full size.
    for (let i = 0; i < options.images; i++) images.push(await generateSyntheticFundus({ seed: 50_000 + i, grade: (i % 5) as FundusGrade, width, height }));
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
      options.log('forward pass alone, on the preprocessed images');
      const inputs: Float32Array[] = [];
      for (const image of images) inputs.push((await preprocessFundus(image, model.preprocessing)).data);
      const forwardStarted = performance.now();
      for (let start = 0; start < inputs.length; start += batchSize) {
        await services.runtime.embedInputs(inputs.slice(start, start + batchSize), model);
      }
      const forwardSeconds = (performance.now() - forwardStarted) / 1000;
      if (finished.status !== 'completed' || finished.added !== options.images) {
        throw new Error(`the benchmark ingest ended ${finished.status} with ${finished.added}/${options.images} added: ${finished.error ?? ''}`);
      }
      return {
        images: options.images,
        width,
        height,
        batchSize,
        backend: services.runtime.backend,
        model: `${model.version.architecture}@${model.version.inputSize}px`,
        archiveBytes: archive.length,
        ingest: { seconds: ingestSeconds, imagesPerSecond: options.images / ingestSeconds },
        embedding: { seconds: embedSeconds, imagesPerSecond: options.images / embedSeconds },
        forwardPass: { seconds: forwardSeconds, imagesPerSecond: options.images / forwardSeconds },
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
    `ingest benchmark: ${result.images} synthetic ${result.width}x${result.height} JPEG photographs, ${result.model}, backend ${result.backend}, batch ${result.batchSize}`,
    `  archive ingest:            ${rate(result.ingest)}, ${((result.ingest.imagesPerSecond / result.forwardPass.imagesPerSecond) * 100).toFixed(0)}% of the bare forward pass`,
    `  preprocess + embed alone:  ${rate(result.embedding)}`,
    `  forward pass alone:        ${rate(result.forwardPass)}`,
    `  pipeline overhead:         ${(result.overhead * 100).toFixed(1)}% of the ingest time (decode, hash, dedup, files, thumbnails, commit)`,
  ].join('\n');
}
