import path from 'node:path';
import { createEmbedder, loadEmbedder, type Embedder, type InferenceEmbedder } from '../embedding-model.ts';
import { onnxOnlyError, readModelMetadata, weightsFormatOf } from '../model-files.ts';
import type { EmbedderSpec } from '../model-spec.ts';
import { loadOnnxEmbedder, onnxRuntimeInstalled, type OnnxEmbedderOptions } from './onnx-embedder.ts';
import { ONNX_FILE_NAME, onnxFileState, writeOnnxModel } from './onnx-model-file.ts';

/** Which engine serves: ONNX Runtime where it can, else TF.js ('auto'); or one of them only. */
export type InferenceEngine = 'auto' | 'onnxruntime' | 'tfjs';

export const INFERENCE_ENGINES: readonly InferenceEngine[] = ['auto', 'onnxruntime', 'tfjs'];

export interface ServingOptions extends OnnxEmbedderOptions {
  engine?: InferenceEngine;
  /** write model.onnx where it is missing or stale (the directory must be writable); default false */
  exportIfMissing?: boolean;
  log?: { info(message: string): void; warn(message: string): void };
}

/**
 * The embedder that serves a saved model directory: ONNX Runtime on its model.onnx when the file is
 * there (or, with exportIfMissing, can be written) and onnxruntime-node loads; else TF.js on
 * model.json + weights.bin. With engine 'onnxruntime' a failure is an error instead of a fallback.
 */
export async function loadServingEmbedder(dir: string, options: ServingOptions = {}): Promise<InferenceEmbedder> {
  const engine = options.engine ?? 'auto';
  const metadata = await readModelMetadata(dir);
  const { spec } = metadata;
  if (weightsFormatOf(metadata) === 'onnx') {
    // A PyTorch-trained directory: ONNX Runtime or nothing (there are no TF.js weights to fall back to).
    if (engine === 'tfjs') throw onnxOnlyError(dir, metadata);
    if (!onnxRuntimeInstalled()) throw new Error(`${onnxOnlyError(dir, metadata).message}; onnxruntime-node is not installed`);
    return loadOnnxEmbedder(path.join(dir, ONNX_FILE_NAME), spec, options).then((embedder) => {
      options.log?.info(`inference engine: ${embedder.engine} (${embedder.detail}) on ${path.join(dir, ONNX_FILE_NAME)}`);
      return embedder;
    });
  }
  if (engine === 'tfjs') return loadEmbedder(dir, options);
  const reason = await onnxUnavailable(dir, options, async () => {
    const embedder = await loadEmbedder(dir, options);
    try {
      const result = await writeOnnxModel(dir, embedder, { 'cbmir.source': 'saved model directory' });
      options.log?.info(`exported ${result.file} (${(result.bytes / 1e6).toFixed(1)} MB) in ${result.seconds.toFixed(1)} s`);
    } finally {
      embedder.dispose();
    }
  });
  if (!reason) {
    const onnx = await tryOnnx(path.join(dir, ONNX_FILE_NAME), spec, options);
    if (onnx) return onnx;
  } else {
    failOrWarn(options, reason);
  }
  return loadEmbedder(dir, options);
}

/**
 * The embedder that serves a seeded, untrained spec (no saved weights): its ONNX export is kept in
 * `onnxDir` (written at the first start, reused after), so ONNX Runtime serves it like a trained one.
 */
export async function createServingEmbedder(spec: EmbedderSpec, onnxDir: string, options: ServingOptions = {}): Promise<InferenceEmbedder> {
  const engine = options.engine ?? 'auto';
  if (engine === 'tfjs') return createEmbedder(spec, options);
  let tfjs: Embedder | undefined;
  const reason = await onnxUnavailable(onnxDir, { ...options, exportIfMissing: true }, async () => {
    tfjs = await createEmbedder(spec, options);
    const result = await writeOnnxModel(onnxDir, tfjs, { 'cbmir.source': `seeded weights (seed ${spec.seed}), untrained` });
    options.log?.info(`exported the seeded ${spec.architecture} to ${result.file} (${(result.bytes / 1e6).toFixed(1)} MB) in ${result.seconds.toFixed(1)} s`);
  });
  if (!reason) {
    const onnx = await tryOnnx(path.join(onnxDir, ONNX_FILE_NAME), spec, options);
    if (onnx) {
      (tfjs as Embedder | undefined)?.dispose();
      return onnx;
    }
  } else {
    failOrWarn(options, reason);
  }
  return tfjs ?? createEmbedder(spec, options);
}

/** Why ONNX Runtime cannot serve from `dir` (after exporting where allowed), or null when it can try. */
async function onnxUnavailable(dir: string, options: ServingOptions, exportNow: () => Promise<void>): Promise<string | null> {
  if (!onnxRuntimeInstalled()) return 'onnxruntime-node is not installed';
  const state = await onnxFileState(dir);
  if (state === 'fresh') return null;
  if (!options.exportIfMissing) {
    return state === 'stale'
      ? `${path.join(dir, ONNX_FILE_NAME)} is older than the TF.js weights beside it (run: pnpm cbmir models export-onnx)`
      : `no ${ONNX_FILE_NAME} in ${dir} (run: pnpm cbmir models export-onnx)`;
  }
  try {
    await exportNow();
    return null;
  } catch (error) {
    return `exporting ${path.join(dir, ONNX_FILE_NAME)} failed: ${(error as Error).message}`;
  }
}

async function tryOnnx(file: string, spec: EmbedderSpec, options: ServingOptions): Promise<InferenceEmbedder | null> {
  try {
    const embedder = await loadOnnxEmbedder(file, spec, options);
    options.log?.info(`inference engine: ${embedder.engine} (${embedder.detail}) on ${file}`);
    return embedder;
  } catch (error) {
    failOrWarn(options, (error as Error).message);
    return null;
  }
}

function failOrWarn(options: ServingOptions, reason: string): void {
  if (options.engine === 'onnxruntime') throw new Error(`ONNX Runtime was requested but cannot serve: ${reason}`);
  options.log?.warn(`ONNX Runtime not used (${reason}); TF.js serves instead`);
}
