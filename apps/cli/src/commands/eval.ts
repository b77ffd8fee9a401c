import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { createPreprocessedMemo, type CbmirServices, type EvaluationData, type EvaluationImage, type ModelRef } from '@cbmir/core';
import { contentHash } from '@cbmir/imaging';
import { formatEvaluation, formatLayerTable, renderReportHtml, type EvaluationReport } from '@cbmir/retrieval';
import { readLabelledFolder } from '../labelled-folder.ts';
import { createProgress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

export const EVAL_USAGE = `  eval --data <folder> --labels <csv> [--model <id|name|dir> | --untrained [--arch resnet50] [--image-size 224]
       [--embedding-dim 128] [--seed 42]] [--gallery <folder> --gallery-labels <csv>] [--layers <list>] [--list-layers]
       [--map-points 2000] [--no-store] [--json] [--out <dir>]
      Retrieval quality of a model (default: the active version): every labelled image is a query; it searches
      the same set minus its own patient, or --gallery (the paper's train/test protocol). Relevant = same DR grade.
      Prints MAP, macro-MAP, MRR, P@1/5/10, R@10 and the 10-NN grade vote (accuracy, quadratic kappa), overall and
      per grade, each beside its chance level. --layers evaluates several (model, layer) sources into the paper's
      Table 1: comma-separated "layer" (of --model) or "model:layer" entries; layers are names, -1/-2/-3, output,
      second-last, third-last, softmax (see --list-layers). Results of registered versions are stored (see
      GET /api/v1/models/{id}/evaluations); --out writes report.html (tables, PR curves, t-SNE maps) and evaluation.json.`;

export interface EvalOptions {
  data: string;
  labels: string;
  model?: string | undefined;
  untrained?: { architecture?: string | undefined; inputSize?: number | undefined; embeddingDim?: number | undefined; seed?: number | undefined } | undefined;
  gallery?: string | undefined;
  galleryLabels?: string | undefined;
  layers?: string[] | undefined;
  listLayers?: boolean;
  mapPoints: number;
  store: boolean;
  json: boolean;
  out?: string | undefined;
}

const integer = (name: string, raw: string | undefined, min: number, max: number): number | undefined => {
  if (raw === undefined) return undefined;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${name} must be an integer from ${min} to ${max}, got "${raw}"`);
  return value;
};

/** Checks the command line of `cbmir eval`; every mistake is a UsageError (exit code 2). */
export function parseEvalOptions(values: Record<string, string | boolean | undefined>): EvalOptions {
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const data = text('data');
  const labels = text('labels');
  if (!data || !labels) throw new UsageError('eval needs --data <folder> and --labels <csv>');
  if (text('gallery') !== undefined && text('gallery-labels') === undefined) throw new UsageError('--gallery needs --gallery-labels <csv>');
  if (text('gallery-labels') !== undefined && text('gallery') === undefined) throw new UsageError('--gallery-labels needs --gallery <folder>');
  const untrained = values.untrained === true;
  if (untrained && text('model') !== undefined) throw new UsageError('give --model or --untrained, not both');
  const specFlags = ['arch', 'image-size', 'embedding-dim', 'seed'].filter((name) => text(name) !== undefined);
  if (!untrained && specFlags.length > 0) throw new UsageError(`--${specFlags[0]} only applies with --untrained`);
  const layers = text('layers')
    ?.split(',')
    .map((entry) => entry.trim())
    .filter(Boolean);
  if (layers !== undefined && layers.length === 0) throw new UsageError('--layers needs at least one layer');
  return {
    data,
    labels,
    model: text('model'),
    untrained: untrained
      ? {
          architecture: text('arch'),
          inputSize: integer('image-size', text('image-size'), 16, 1024),
          embeddingDim: integer('embedding-dim', text('embedding-dim'), 1, 4096),
          seed: integer('seed', text('seed'), 0, 2 ** 31 - 1),
        }
      : undefined,
    gallery: text('gallery'),
    galleryLabels: text('gallery-labels'),
    layers,
    listLayers: values['list-layers'] === true,
    mapPoints: integer('map-points', text('map-points'), 0, 100_000) ?? 2000,
    store: values['no-store'] !== true,
    json: values.json === true,
    out: text('out'),
  };
}

/** Reads a labelled folder, hashing every labelled image (the bytes are read again only if they must be embedded). */
async function readEvaluationData(folder: string, labelsPath: string, label: string): Promise<EvaluationData & { withoutPatient: number }> {
  const { images } = await readLabelledFolder(folder, labelsPath);
  const labelled = images.filter((image) => image.label?.grade !== null && image.label?.grade !== undefined);
  if (labelled.length === 0) throw new UsageError(`no image in ${folder} has a grade in ${labelsPath}`);
  const progress = createProgress(`reading ${label}`, labelled.length);
  const out: EvaluationImage[] = new Array(labelled.length);
  let done = 0;
  const worker = async (start: number) => {
    for (let i = start; i < labelled.length; i += 8) {
      const image = labelled[i]!;
      out[i] = {
        sha256: contentHash(await readFile(image.path)),
        grade: image.label!.grade!,
        patient: image.label!.patientRef,
        eye: image.label!.eye,
        read: async () => new Uint8Array(await readFile(image.path)),
      };
      if (++done % 200 === 0) progress.update(done, '');
    }
  };
  await Promise.all(Array.from({ length: 8 }, (_, start) => worker(start)));
  progress.update(labelled.length, '');
  progress.stop();
  return {
    name: basename(resolve(folder)),
    images: out,
    unlabelled: images.length - labelled.length,
    withoutPatient: out.filter((image) => image.patient === null).length,
  };
}

/** Which (model, layer) pairs to evaluate: --layers entries, else the one model's output. */
async function resolveSources(services: CbmirServices, options: EvalOptions): Promise<{ model: ModelRef; layer: string | null }[]> {
  let base: ModelRef | null = null;
  const baseModel = async (): Promise<ModelRef> => {
    if (base) return base;
    if (options.untrained) {
      const { architecture, inputSize, embeddingDim, seed } = options.untrained;
      const spec = Object.fromEntries(Object.entries({ architecture, inputSize, embeddingDim, seed }).filter(([, v]) => v !== undefined));
      base = { kind: 'version', version: await services.evaluations.untrainedVersion(spec) };
    } else if (options.model !== undefined) {
      base = await services.evaluations.resolveModel(options.model);
    } else {
      const active = services.runtime.version;
      if (!active) throw new UsageError('no model version is active; give --model or --untrained');
      base = { kind: 'version', version: active };
    }
    return base;
  };
  if (!options.layers) return [{ model: await baseModel(), layer: null }];
  const sources: { model: ModelRef; layer: string | null }[] = [];
  for (const entry of options.layers) {
    const colon = entry.lastIndexOf(':');
    if (colon < 0) sources.push({ model: await baseModel(), layer: entry });
    else sources.push({ model: await services.evaluations.resolveModel(entry.slice(0, colon)), layer: entry.slice(colon + 1) || 'output' });
  }
  return sources;
}

export interface EvalOutcome {
  reports: (EvaluationReport & { failed: { sha256: string; reason: string }[] })[];
  text: string;
}

/** `cbmir eval`: evaluates each source in turn (one network in memory at a time) and formats the result. */
export async function evaluate(services: CbmirServices, options: EvalOptions, say: (message: string) => void): Promise<EvalOutcome> {
  if (options.listLayers) {
    const sources = await resolveSources(services, { ...options, layers: undefined });
    const layers = await services.evaluations.listLayers(sources[0]!.model);
    return { reports: [], text: layers.map((l) => `${String(l.position).padStart(4)}  ${l.name}  ${l.type}  ${l.width ?? '?'}`).join('\n') };
  }
  const readStarted = performance.now();
  const data = await readEvaluationData(options.data, options.labels, 'data');
  const gallery = options.gallery ? await readEvaluationData(options.gallery, options.galleryLabels!, 'gallery') : undefined;
  const readSeconds = (performance.now() - readStarted) / 1000;
  for (const set of [data, ...(gallery ? [gallery] : [])]) {
    if (set.withoutPatient > 0) {
      say(`warning: ${set.withoutPatient} image(s) of ${set.name} have no patient id: their other eye can match them (add patient_id to the labels)`);
    }
  }

  const sources = await resolveSources(services, options);
  const reports: EvalOutcome['reports'] = [];
  const preprocessedMemo = sources.length > 1 ? createPreprocessedMemo() : undefined;
  for (const { model, layer } of sources) {
    const source = await services.evaluations.openSource(model, layer);
    let bar: ReturnType<typeof createProgress> | null = null;
    let stage = '';
    try {
      say(`evaluating ${source.label}: ${source.architecture}@${source.inputSize}px, ${source.dimensions}-d`);
      const report = await services.evaluations.evaluate({
        source,
        data,
        gallery,
        mapPoints: options.mapPoints,
        store: options.store,
        readSeconds,
        preprocessedMemo,
        onProgress: (next, done, total) => {
          if (next !== stage) {
            bar?.stop();
            stage = next;
            bar = next === 'map' ? null : createProgress(`${next} ${source.label}`, total);
            if (next === 'map') say(`t-SNE map of ${Math.min(options.mapPoints, data.images.length)} points`);
          }
          bar?.update(done, '');
        },
      });
      reports.push(report);
      if (options.store && !source.version)
        say(`note: ${source.modelName} is a model directory, not a registered version: the result is not stored (pnpm cbmir models register <dir>)`);
      if (report.failed.length > 0) say(`warning: ${report.failed.length} image(s) could not be embedded and were left out`);
    } finally {
      (bar as ReturnType<typeof createProgress> | null)?.stop();
      source.dispose();
    }
  }

  if (options.out) {
    await mkdir(options.out, { recursive: true });
    await writeFile(join(options.out, 'report.html'), renderReportHtml(reports));
    await writeFile(join(options.out, 'evaluation.json'), JSON.stringify(reports.length === 1 ? reports[0] : { runs: reports }, null, 2));
    say(`wrote ${join(options.out, 'report.html')} and evaluation.json`);
  }
  const text = options.json
    ? JSON.stringify(reports.length === 1 ? reports[0] : { runs: reports })
    : [...reports.map(formatEvaluation), ...(reports.length > 1 ? ['', formatLayerTable(reports)] : [])].join('\n\n');
  return { reports, text };
}
