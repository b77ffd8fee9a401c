import { ConflictError, InvalidInputError, NotFoundError, notFound } from '../errors/domain-error.ts';
import type { Logger } from '../logger.ts';
import { createHash } from 'node:crypto';
import { readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { Database, StoredEvaluation, StoredModelVersion } from '@cbmir/db';
import {
  layerEmbedder,
  layerWidth,
  loadEmbedder,
  loadOnnxEmbedder,
  loadServingEmbedder,
  ONNX_FILE_NAME,
  onnxRepresentationOutputs,
  readModelMetadata,
  representationLayers,
  resolveEmbedderSpec,
  resolveLayer,
  resolveOnnxOutput,
  weightsFormatOf,
  type Embedder,
  type EmbedderMetadata,
  type EmbedderSpec,
  type InferenceEmbedder,
} from '@cbmir/embedder';
import { resolvePreprocessing, type FundusPreprocessing } from '@cbmir/imaging';
import {
  embeddingMap,
  evaluationSetFingerprint,
  runEvaluation,
  type EvaluatedData,
  type EvaluationMapPoint,
  type EvaluationReport,
  type VectorMatrix,
} from '@cbmir/retrieval';
import type { AuditTrail } from '../auth/audit-trail.ts';
import { evaluationVectors, type PreprocessedMemo } from './evaluation-vectors.ts';
import type { ModelRegistry } from '../models/model-registry.ts';
import { DEFAULT_MODEL_NAME, untrainedVersionRecord, type ModelRuntime } from '../models/model-runtime.ts';

/** One labelled image to evaluate; bytes are read only when its embedding has to be computed. */
export interface EvaluationImage {
  sha256: string;
  grade: number;
  patient: string | null;
  eye: 'left' | 'right' | null;
  read(): Promise<Uint8Array>;
}

export interface EvaluationData {
  name: string;
  images: EvaluationImage[];
  /** Images without a grade that were left out. */
  unlabelled: number;
}

/** A registered model version, or a saved model directory evaluated without registering it. */
export type ModelRef = { kind: 'version'; version: StoredModelVersion } | { kind: 'dir'; dir: string };

/** A (model, layer) pair with its network in memory, ready to embed evaluation images. */
export interface EmbeddingSource {
  label: string;
  version: StoredModelVersion | null;
  modelName: string;
  architecture: string;
  inputSize: number;
  trained: boolean;
  kind: string | null;
  /** Resolved layer name; null: the model's own output. */
  layer: string | null;
  dimensions: number;
  /** Names the source's on-disk embedding cache. */
  cacheKey: string;
  /** ONNX Runtime for a model's served embedding and an ONNX-only model's outputs; TF.js for other layers. */
  embedder: InferenceEmbedder;
  preprocessing: FundusPreprocessing;
  dispose(): void;
}

export interface EvaluateOptions {
  source: EmbeddingSource;
  data: EvaluationData;
  /** A separate gallery (the paper's train/test protocol); absent: the data search themselves. */
  gallery?: EvaluationData | undefined;
  /** Points on the t-SNE map (0: no map). */
  mapPoints: number;
  /** Keep the result in the database (only possible for a registered model version). */
  store: boolean;
  /** Seconds the caller spent reading and hashing the images, reported with the timings. */
  readSeconds: number;
  seed?: number;
  /** Shared by the sources of one run, so each picture is preprocessed once (see createPreprocessedMemo). */
  preprocessedMemo?: PreprocessedMemo | undefined;
  onProgress?: (stage: 'embed' | 'rank' | 'map', done: number, total: number) => void;
}

const seconds = (since: number) => (performance.now() - since) / 1000;

/**
 * Retrieval evaluation of model versions and layers (`cbmir eval`): resolves models, opens embedding
 * sources, gets every image's vector (stored embeddings of the version first, then the on-disk cache, then
 * the network), runs the metrics and the map (packages/retrieval) and keeps the result per version.
 */
export function evaluationServiceFactory(deps: {
  db: Database;
  runtime: ModelRuntime;
  models: ModelRegistry;
  audit: AuditTrail;
  dataDir: string;
  log: Logger;
}) {
  const { db, runtime } = deps;

  async function isModelDir(path: string): Promise<boolean> {
    return (await stat(join(path, 'metadata.json')).catch(() => null))?.isFile() ?? false;
  }

  /** A model's files, when it has any (the seeded untrained versions have none). */
  async function modelFiles(model: ModelRef): Promise<{ dir: string; metadata: EmbedderMetadata } | null> {
    const dir = model.kind === 'dir' ? model.dir : model.version.weightsPath ? join(deps.dataDir, model.version.weightsPath) : null;
    return dir ? { dir, metadata: await readModelMetadata(dir) } : null;
  }

  function preprocessingOf(model: ModelRef, metadata: EmbedderMetadata | undefined): FundusPreprocessing {
    const recorded = model.kind === 'version' ? model.version.preprocessing : metadata?.info?.preprocessing;
    const inputSize = model.kind === 'version' ? model.version.inputSize : metadata!.spec.inputSize;
    return resolvePreprocessing(recorded, inputSize);
  }

  /**
   * The network that embeds a (model, layer) source. The model's served embedding (no layer) is computed
   * by the serving engine (ONNX Runtime where it can, as search does); an ONNX-only model's other layers
   * are its graph outputs; a TF.js model's other layers are read from the TF.js graph.
   */
  async function openNetwork(
    model: ModelRef,
    layerSpec: string | null,
  ): Promise<{ embedder: InferenceEmbedder; layer: string | null; preprocessing: FundusPreprocessing; kind: string | null }> {
    const files = await modelFiles(model);
    const kind = typeof files?.metadata.info?.kind === 'string' ? files.metadata.info.kind : null;
    const preprocessing = preprocessingOf(model, files?.metadata);
    const served = async (): Promise<InferenceEmbedder> =>
      model.kind === 'version' ? (await runtime.load(model.version)).embedder : loadServingEmbedder(model.dir, { log: deps.log });
    if (files && weightsFormatOf(files.metadata) === 'onnx') {
      if (layerSpec === null) return { embedder: await served(), layer: null, preprocessing, kind };
      const outputNames = Object.keys(await onnxOutputs(files.dir, files.metadata.spec));
      let output: string;
      try {
        output = resolveOnnxOutput(kind, outputNames, layerSpec);
      } catch (error) {
        throw new InvalidInputError('invalid_layer', (error as Error).message);
      }
      const embedder = await loadOnnxEmbedder(join(files.dir, ONNX_FILE_NAME), files.metadata.spec, { output });
      return { embedder, layer: output === 'embedding' ? null : output, preprocessing, kind };
    }
    if (layerSpec === null) return { embedder: await served(), layer: null, preprocessing, kind };
    const tfjs: Embedder = model.kind === 'version' ? (await runtime.load(model.version, { engine: 'tfjs' })).embedder : await loadEmbedder(model.dir);
    let found;
    try {
      found = resolveLayer(tfjs.network, layerSpec);
    } catch (error) {
      tfjs.dispose();
      throw new InvalidInputError('invalid_layer', (error as Error).message);
    }
    if (tfjs.model.outputs[0] === found.output) {
      // The served embedding after all: the serving engine computes it.
      tfjs.dispose();
      return { embedder: await served(), layer: null, preprocessing, kind };
    }
    return { embedder: layerEmbedder(tfjs, found), layer: found.name, preprocessing, kind };
  }

  /** The outputs of an ONNX-only model's file with their widths (a short-lived session just to read them). */
  async function onnxOutputs(dir: string, spec: EmbedderSpec): Promise<Readonly<Record<string, number | null>>> {
    const probe = await loadOnnxEmbedder(join(dir, ONNX_FILE_NAME), spec, { threads: 1 });
    probe.dispose();
    return probe.outputs;
  }

  /** A model directory's weights identify its cache: hash of its weight files and metadata. */
  async function dirCacheKey(dir: string): Promise<string> {
    const hash = createHash('sha256');
    const metadata = await readFile(join(dir, 'metadata.json'));
    hash.update(metadata);
    const format = weightsFormatOf(JSON.parse(metadata.toString('utf8')) as EmbedderMetadata);
    for (const name of format === 'onnx' ? [ONNX_FILE_NAME] : ['model.json', 'weights.bin']) hash.update(await readFile(join(dir, name)));
    return `dir-${hash.digest('hex').slice(0, 24)}`;
  }

  function asMatrix(vectors: Float32Array[], dim: number): VectorMatrix {
    const data = new Float32Array(vectors.length * dim);
    vectors.forEach((vector, i) => data.set(vector, i * dim));
    return { data, count: vectors.length, dim };
  }

  return {
    /**
     * A page of a model version's stored evaluations, newest first (not-found for an unknown version);
     * `nextBefore` (the last one's id) asks for the next, older page, null when this page is not full (the end).
     */
    async pageForVersion(
      versionId: string,
      options: { limit: number; before?: string | undefined },
    ): Promise<{ evaluations: StoredEvaluation[]; nextBefore: string | null }> {
      const version = await db.modelVersions.findById(versionId);
      if (!version) throw notFound('model version');
      const evaluations = await db.evaluations.listForModel(version.id, options);
      return { evaluations, nextBefore: evaluations.length === options.limit ? evaluations[evaluations.length - 1]!.id : null };
    },

    /** A version id or name, or a directory written by `cbmir train` (evaluated without registering it). */
    async resolveModel(reference: string): Promise<ModelRef> {
      const version = await deps.models.find(reference);
      if (version) return { kind: 'version', version };
      if (await isModelDir(reference)) return { kind: 'dir', dir: reference };
      throw new NotFoundError('not_found', `"${reference}" is neither a model version id or name nor a saved model directory (see: pnpm cbmir models list)`);
    },

    /**
     * The version of a seeded, untrained network: found by name, or registered (no files: an untrained
     * network is rebuilt from its spec), so its evaluations are kept like any other version's.
     */
    async untrainedVersion(partial: Partial<EmbedderSpec>): Promise<StoredModelVersion> {
      const spec = resolveEmbedderSpec(partial);
      const isDefault = spec.architecture === 'resnet50' && spec.inputSize === 224 && spec.embeddingDim === 128 && spec.seed === 42;
      const name = isDefault ? DEFAULT_MODEL_NAME : `${spec.architecture}-${spec.inputSize}px-${spec.embeddingDim}d-untrained-seed${spec.seed}`;
      const existing = await db.modelVersions.findByName(name);
      if (existing) {
        if (
          existing.weightsPath !== null ||
          existing.architecture !== spec.architecture ||
          existing.inputSize !== spec.inputSize ||
          existing.embeddingDim !== spec.embeddingDim
        ) {
          throw new ConflictError('name_taken', `model version ${name} exists but is not that untrained network`);
        }
        return existing;
      }
      return db.modelVersions.create(untrainedVersionRecord(name, spec));
    },

    /** The representation layers of a model, -1 being its output, for `eval --list-layers`. */
    async listLayers(model: ModelRef): Promise<{ position: number; name: string; type: string; width: number | null }[]> {
      const files = await modelFiles(model);
      if (files && weightsFormatOf(files.metadata) === 'onnx') {
        const kind = typeof files.metadata.info?.kind === 'string' ? files.metadata.info.kind : null;
        const widths = await onnxOutputs(files.dir, files.metadata.spec);
        const outputs = onnxRepresentationOutputs(kind, Object.keys(widths));
        return outputs.map((name, i) => ({ position: i - outputs.length, name, type: 'OnnxOutput', width: widths[name] ?? null }));
      }
      const embedder: Embedder = model.kind === 'version' ? (await runtime.load(model.version, { engine: 'tfjs' })).embedder : await loadEmbedder(model.dir);
      try {
        const layers = representationLayers(embedder.network);
        return layers.map((layer, i) => {
          let width: number | null = null;
          try {
            width = layerWidth(layer);
          } catch {
            width = null;
          }
          return { position: i - layers.length, name: layer.name, type: layer.getClassName(), width };
        });
      } finally {
        embedder.dispose();
      }
    },

    /** Loads a model and picks the layer to read (null: the model's served embedding). */
    async openSource(model: ModelRef, layerSpec: string | null): Promise<EmbeddingSource> {
      const { embedder, layer, preprocessing, kind } = await openNetwork(model, layerSpec);
      deps.log.info(`${layerSpec ?? 'embedding'} of ${model.kind === 'version' ? model.version.name : model.dir}: embedded by ${embedder.engine}`);
      const name = model.kind === 'version' ? model.version.name : basename(model.dir.replace(/\/+$/, ''));
      const baseKey = model.kind === 'version' ? model.version.id : await dirCacheKey(model.dir);
      return {
        label: layerSpec === null ? name : `${name} [${layerSpec}]`,
        version: model.kind === 'version' ? model.version : null,
        modelName: name,
        architecture: embedder.spec.architecture,
        inputSize: embedder.spec.inputSize,
        trained: model.kind === 'version' ? model.version.trained : true,
        kind,
        layer,
        dimensions: embedder.spec.embeddingDim,
        cacheKey: `${baseKey}-${(layer ?? 'output').replace(/[^A-Za-z0-9._-]/g, '_')}`,
        embedder,
        preprocessing,
        dispose: () => embedder.dispose(),
      };
    },

    /** Embeds (or reuses), ranks, maps and -- for a registered version -- stores one evaluation. */
    async evaluate(options: EvaluateOptions): Promise<EvaluationReport & { failed: { sha256: string; reason: string }[] }> {
      const started = performance.now();
      const { source } = options;
      const progress = (done: number, total: number) => options.onProgress?.('embed', done, total);
      const embedStarted = performance.now();
      const queryVectors = await evaluationVectors({ db, dataDir: deps.dataDir }, source, options.data.images, options.preprocessedMemo, progress);
      const galleryVectors = options.gallery
        ? await evaluationVectors({ db, dataDir: deps.dataDir }, source, options.gallery.images, options.preprocessedMemo, progress)
        : null;
      const embedSeconds = seconds(embedStarted);

      const keep = (images: EvaluationImage[], vectors: (Float32Array | null)[]) => images.map((_, i) => i).filter((i) => vectors[i] !== null);
      const queryKeep = keep(options.data.images, queryVectors.vectors);
      const toSet = (images: EvaluationImage[], vectors: (Float32Array | null)[], indices: number[]) => ({
        items: indices.map((i) => ({ key: images[i]!.sha256, grade: images[i]!.grade, patient: images[i]!.patient })),
        vectors: asMatrix(
          indices.map((i) => vectors[i]!),
          source.dimensions,
        ),
      });
      const queries = toSet(options.data.images, queryVectors.vectors, queryKeep);
      const gallery =
        options.gallery && galleryVectors
          ? toSet(options.gallery.images, galleryVectors.vectors, keep(options.gallery.images, galleryVectors.vectors))
          : undefined;

      const rankStarted = performance.now();
      const result = runEvaluation(queries, {
        gallery,
        seed: options.seed ?? 42,
        onProgress: (done, total) => options.onProgress?.('rank', done, total),
      });
      const rankSeconds = seconds(rankStarted);

      const mapStarted = performance.now();
      let map: EvaluationMapPoint[] | null = null;
      if (options.mapPoints > 0 && queries.items.length >= 2) {
        options.onProgress?.('map', 0, 1);
        map = embeddingMap(
          queries.vectors,
          queries.items.map((item) => item.grade),
          { maxPoints: options.mapPoints, seed: options.seed ?? 42 },
        ).map((point) => ({
          imageId: queryVectors.imageIds[queryKeep[point.index]!]!,
          sha256: queries.items[point.index]!.key,
          x: point.x,
          y: point.y,
          grade: point.grade,
        }));
        options.onProgress?.('map', 1, 1);
      }
      const mapSeconds = seconds(mapStarted);

      const describe = (data: EvaluationData, kept: number[]): EvaluatedData => ({
        name: data.name,
        images: kept.length,
        unlabelled: data.unlabelled,
        fingerprint: evaluationSetFingerprint(kept.map((i) => data.images[i]!)),
      });
      const failed = [...queryVectors.failed, ...(galleryVectors?.failed ?? [])];
      const report: EvaluationReport & { failed: typeof failed } = {
        id: null,
        createdAt: new Date().toISOString(),
        source: {
          label: source.label,
          modelVersionId: source.version?.id ?? null,
          modelName: source.modelName,
          architecture: source.architecture,
          inputSize: source.inputSize,
          trained: source.trained,
          kind: source.kind,
          layer: source.layer,
          dimensions: source.dimensions,
        },
        data: describe(options.data, queryKeep),
        gallery: options.gallery && galleryVectors ? describe(options.gallery, keep(options.gallery.images, galleryVectors.vectors)) : null,
        result,
        embeddings: {
          fromDatabase: queryVectors.fromDatabase + (galleryVectors?.fromDatabase ?? 0),
          fromCache: queryVectors.fromCache + (galleryVectors?.fromCache ?? 0),
          computed: queryVectors.computed + (galleryVectors?.computed ?? 0),
        },
        map,
        timings: { readSeconds: options.readSeconds, embedSeconds, rankSeconds, mapSeconds, totalSeconds: options.readSeconds + seconds(started) },
        failed,
      };

      if (options.store && source.version) {
        const { overall, chance, perGrade, counts, gradeCounts, voteConfusion } = result;
        const stored = await db.evaluations.create({
          modelVersionId: source.version.id,
          layer: source.layer,
          protocol: result.protocol,
          dataName: report.data.name,
          dataFingerprint: report.data.fingerprint,
          galleryName: report.gallery?.name ?? null,
          galleryFingerprint: report.gallery?.fingerprint ?? null,
          queryCount: report.data.images,
          galleryCount: report.gallery?.images ?? report.data.images,
          dimensions: source.dimensions,
          metrics: { overall, chance, perGrade, counts, gradeCounts, voteConfusion },
          prCurve: { ...result.prCurve },
          mapPoints: map,
          details: { source: report.source, embeddings: report.embeddings, timings: report.timings, failed: failed.length },
        });
        report.id = stored.id;
        report.createdAt = stored.createdAt.toISOString();
        await deps.audit.recordSystem({
          action: 'evaluation.create',
          targetType: 'model_version',
          targetId: source.version.id,
          details: { evaluationId: stored.id, layer: source.layer, dataFingerprint: report.data.fingerprint, map: result.overall.map },
        });
      }
      return report;
    },
  };
}

export type EvaluationService = ReturnType<typeof evaluationServiceFactory>;
