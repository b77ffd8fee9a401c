import * as tf from '@tensorflow/tfjs';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from '../atomic-file.ts';
import { loadEmbedder, type Embedder } from '../embedding-model.ts';
import { MODEL_FILE_NAMES } from '../model-files.ts';
import { exportOnnx } from './export-onnx.ts';

/** Beside model.json, weights.bin and metadata.json: the same network as an ONNX graph, for serving. */
export const ONNX_FILE_NAME = 'model.onnx';

export interface OnnxExportResult {
  file: string;
  bytes: number;
  seconds: number;
}

/** Exports a TF.js embedder to `dir`/model.onnx (written atomically), with its spec in the file's metadata. */
export async function writeOnnxModel(dir: string, embedder: Embedder, provenance: Record<string, string> = {}): Promise<OnnxExportResult> {
  const started = performance.now();
  const bytes = await exportOnnx(embedder.model, {
    metadata: { 'cbmir.spec': JSON.stringify(embedder.spec), 'cbmir.tfjs_version': tf.version.tfjs, ...provenance },
    docString: `cbmir embedder: ${embedder.spec.architecture} at ${embedder.spec.inputSize} px -> ${embedder.spec.embeddingDim}-d`,
  });
  await mkdir(dir, { recursive: true });
  const file = path.join(dir, ONNX_FILE_NAME);
  await writeFileAtomically(file, bytes);
  return { file, bytes: bytes.length, seconds: (performance.now() - started) / 1000 };
}

/** Loads a saved model directory with TF.js and writes its model.onnx beside the other files. */
export async function exportModelDirToOnnx(dir: string): Promise<OnnxExportResult> {
  const embedder = await loadEmbedder(dir);
  try {
    return await writeOnnxModel(dir, embedder, { 'cbmir.source': 'saved model directory' });
  } finally {
    embedder.dispose();
  }
}

/**
 * 'fresh' when `dir` has a model.onnx at least as new as the TF.js files it was exported from, 'stale'
 * when those were written after it (a retrained model saved over the directory), 'missing' otherwise.
 */
export async function onnxFileState(dir: string): Promise<'fresh' | 'stale' | 'missing'> {
  const onnx = await stat(path.join(dir, ONNX_FILE_NAME)).catch(() => null);
  if (!onnx) return 'missing';
  const sources = await Promise.all([MODEL_FILE_NAMES.weights, MODEL_FILE_NAMES.topology].map((name) => stat(path.join(dir, name)).catch(() => null)));
  return sources.some((s) => s && s.mtimeMs > onnx.mtimeMs) ? 'stale' : 'fresh';
}
