import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { splitByPatient, type TrainingItem } from '@cbmir/embedder';
import { contentHash, preprocessingForInputSize, resolvePreprocessing, type FundusPreprocessing, type TrainingPreprocessingVersion } from '@cbmir/imaging';
import { readLabelledFolder } from './labelled-folder.ts';
import { preprocessedCacheFactory } from './preprocessed-cache.ts';
import { createProgress } from './progress.ts';
import { UsageError } from './usage-error.ts';

/** A labelled image of a training set: its preprocessed pixels live in the cache file. */
export interface TrainingSetItem extends TrainingItem {
  /** the preprocessed image: imageSize x imageSize x 3 float32 values, HWC RGB in [-1, 1] */
  cacheFile: string;
}

export interface TrainingSet {
  preprocessing: FundusPreprocessing;
  /** SHA-256 (16 hex) of the sorted image hashes with their grades: which data a model saw */
  dataFingerprint: string;
  train: TrainingSetItem[];
  validation: TrainingSetItem[];
}

/**
 * The one way both training engines get their data: the labelled images of a folder, preprocessed once by
 * the imaging package (cached under the data dir), split by patient with a seed. The TF.js trainer reads
 * the cache files in process; the PyTorch trainer reads the same files from a manifest.
 */
export async function prepareTrainingSet(options: {
  data: string;
  labels: string;
  dataDir: string;
  preprocessing: FundusPreprocessing;
  validationFraction: number;
  seed: number;
}): Promise<TrainingSet> {
  const { images } = await readLabelledFolder(options.data, options.labels);
  const labelled = images.filter((image) => image.label?.grade !== null && image.label?.grade !== undefined);
  if (labelled.length < 10) throw new UsageError(`only ${labelled.length} labelled images in ${options.data}: too few to train`);

  const { preprocessing } = options;
  const cache = preprocessedCacheFactory({ dataDir: options.dataDir, params: preprocessing });
  const hashes: string[] = [];
  const items: TrainingSetItem[] = [];
  const progress = createProgress('preprocessing', labelled.length);
  for (const [i, image] of labelled.entries()) {
    const bytes = await readFile(image.path);
    hashes.push(`${contentHash(bytes)}:${image.label!.grade}`);
    items.push({
      id: image.fileName,
      grade: image.label!.grade!,
      patientId: image.label!.patientRef ?? image.fileName,
      cacheFile: await cache.file(bytes),
    });
    progress.update(i + 1, image.fileName.length > 30 ? '' : image.fileName);
  }
  progress.stop();
  const dataFingerprint = createHash('sha256').update(hashes.sort().join('\n')).digest('hex').slice(0, 16);
  const { train, validation } = splitByPatient(items, options.validationFraction, options.seed);
  return { preprocessing, dataFingerprint, train, validation };
}

/**
 * The preprocessing a run trains with. A resumed run keeps the one its checkpoint was made with, whatever the
 * default is now (a model trained half on one and half on another would match neither); a new run gets
 * --preprocessing, graham-v4 when not given.
 */
export async function trainingPreprocessing(options: {
  out: string;
  resume: boolean;
  imageSize: number;
  preprocessing?: TrainingPreprocessingVersion;
}): Promise<FundusPreprocessing> {
  const recorded = options.resume ? await checkpointPreprocessing(options.out) : undefined;
  if (recorded === undefined) return preprocessingForInputSize(options.imageSize, options.preprocessing);
  const params = resolvePreprocessing(recorded, options.imageSize);
  if (options.preprocessing !== undefined && options.preprocessing !== params.version) {
    throw new UsageError(
      `--preprocessing ${options.preprocessing}: the checkpoint in ${options.out} was trained with ${params.version}, which a resumed run keeps (leave the option out)`,
    );
  }
  return params;
}

/** What a checkpoint records: the PyTorch engine's training-set.json, or the TF.js checkpoint model's metadata. */
async function checkpointPreprocessing(out: string): Promise<unknown> {
  for (const file of [join(out, 'checkpoint', 'training-set.json'), join(out, 'checkpoint', 'model', 'metadata.json')]) {
    let json: { preprocessing?: unknown; info?: { preprocessing?: unknown } };
    try {
      json = JSON.parse(await readFile(file, 'utf8'));
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') continue;
      throw new UsageError(`cannot read the checkpoint's ${file}: ${(error as Error).message}`);
    }
    return json.preprocessing ?? json.info?.preprocessing ?? null;
  }
  return undefined;
}

/** "grades in training: 0:2900 1:280 ..." for the log. */
export function describeSplit(set: TrainingSet): string {
  const counts = [0, 1, 2, 3, 4].map((g) => `${g}:${set.train.filter((i) => i.grade === g).length}`).join(' ');
  return `${set.train.length} training and ${set.validation.length} validation images (split by patient); grades in training: ${counts}`;
}
