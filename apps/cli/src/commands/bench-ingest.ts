import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip, loadConfig, openCbmirServices } from '@cbmir/core';
import { generateSyntheticFundus, preprocessFundus, type FundusGrade } from '@cbmir/imaging';

/**
 * A phase's rate. cpuMsPerImage is the process's CPU time (every thread: libvips, the engine, the event loop)
 * per image: on a machine shared with other work it moves far less than the wall-clock rate does.
 */
export interface BenchRate {
  seconds: number;
  imagesPerSecond: number;
  cpuMsPerImage: number;
}

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
  ingest: BenchRate;
  /** The same images through preprocess + embed alone, same model, same batch size. */
  embedding: BenchRate;
  /** The forward pass alone on the already-preprocessed images, same batches: the engine's bare rate. */
  forwardPass: BenchRate;
  /** Share of the ingest time spent outside preprocess + embed. */
  overhead: number;
}

/**
 * `pnpm bench ingest [--images N] [--photo-size WxH] [--json]`: draws N synthetic fundus photographs (JPEG,
 * quality 90; 512x512 unless --photo-size, e.g. 3000x2000 for a camera's frame) into a zip, ingests it through
 * the archive job service into a throwaway data directory (embedded database), and sets the rate beside
 * preprocess + embed of the same images and beside the bare forward pass, so the pipeline's own cost shows;
 * each phase also gives its CPU time per image.
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

      const embedAlone = () =>
        timed(async () => {
          for (let start = 0; start < images.length; start += batchSize) {
            await services.runtime.embedImages(images.slice(start, start + batchSize), model);
          }
        });
      options.log(`embedding alone: ${options.images} images, batches of ${batchSize}`);
      const embedBefore = await embedAlone();

      options.log(`ingesting the archive (${Math.round(archive.length / 1024)} KB)`);
      const ingested = await timed(async () => {
        const job = await services.jobs.create({
          id: randomUUID(),
          inputPath: archivePath,
          owned: false,
          fileName: 'bench.zip',
          source: 'bench',
          claimedBy: services.jobWorker.workerId,
        });
        return services.jobWorker.runJob(job);
      });
      const finished = ingested.value;
      // Embedding alone once more, after: the better of the two is the fair baseline on a busy machine.
      options.log('embedding alone again');
      const embedAfter = await embedAlone();
      const embedded = embedAfter.seconds < embedBefore.seconds ? embedAfter : embedBefore;
      options.log('forward pass alone, on the preprocessed images');
      const inputs: Float32Array[] = [];
      for (const image of images) inputs.push((await preprocessFundus(image, model.preprocessing)).data);
      const forward = await timed(async () => {
        for (let start = 0; start < inputs.length; start += batchSize) {
          await services.runtime.embedInputs(inputs.slice(start, start + batchSize), model);
        }
      });
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
        ingest: rateOf(ingested, options.images),
        embedding: rateOf(embedded, options.images),
        forwardPass: rateOf(forward, options.images),
        overhead: Math.max(0, 1 - embedded.seconds / ingested.seconds),
      };
    } finally {
      await services.close();
    }
  } finally {
    await rm(dataDir, { recursive: true, force: true });
  }
}

interface Timed<T> {
  value: T;
  seconds: number;
  cpuSeconds: number;
}

/** Wall-clock and process CPU time of one phase. */
async function timed<T>(run: () => Promise<T>): Promise<Timed<T>> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const seconds = (performance.now() - started) / 1000;
  const used = process.cpuUsage(cpu);
  return { value, seconds, cpuSeconds: (used.user + used.system) / 1e6 };
}

function rateOf(phase: Timed<unknown>, images: number): BenchRate {
  return { seconds: phase.seconds, imagesPerSecond: images / phase.seconds, cpuMsPerImage: (phase.cpuSeconds * 1000) / images };
}

export function formatIngestBench(result: IngestBenchResult): string {
  const rate = (r: BenchRate) => `${r.imagesPerSecond.toFixed(2)} img/s (${r.seconds.toFixed(1)} s; CPU ${r.cpuMsPerImage.toFixed(0)} ms/image)`;
  return [
    `ingest benchmark: ${result.images} synthetic ${result.width}x${result.height} JPEG photographs, ${result.model}, backend ${result.backend}, batch ${result.batchSize}`,
    `  archive ingest:            ${rate(result.ingest)}, ${((result.ingest.imagesPerSecond / result.forwardPass.imagesPerSecond) * 100).toFixed(0)}% of the bare forward pass`,
    `  preprocess + embed alone:  ${rate(result.embedding)}`,
    `  forward pass alone:        ${rate(result.forwardPass)}`,
    `  pipeline overhead:         ${(result.overhead * 100).toFixed(1)}% of the ingest time (decode, hash, dedup, files, thumbnails, commit)`,
  ].join('\n');
}
