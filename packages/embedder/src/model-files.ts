import * as tf from '@tensorflow/tfjs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';
import { resolveEmbedderSpec, type EmbedderSpec } from './model-spec.ts';

/**
 * A saved model is a plain directory in TF.js' own layers-model layout (model.json + weights.bin,
 * loadable by tf.loadLayersModel('file://.../model.json') under tfjs-node too) plus our metadata.json.
 * We write the files ourselves because pure @tensorflow/tfjs has no file:// handler in Node.
 */
export const MODEL_FILE_NAMES = { topology: 'model.json', weights: 'weights.bin', metadata: 'metadata.json' } as const;

const FORMAT = 'cbmir-embedder';
const FORMAT_VERSION = 1;

/**
 * Which weights a model directory holds: 'tfjs' (model.json + weights.bin, the TF.js trainer; model.onnx is
 * exported from them) or 'onnx' (model.onnx only: the PyTorch trainer, served by ONNX Runtime alone).
 */
export type WeightsFormat = 'tfjs' | 'onnx';

export interface EmbedderMetadata {
  format: typeof FORMAT;
  formatVersion: number;
  spec: EmbedderSpec;
  /** absent in directories written before the PyTorch trainer: 'tfjs' */
  weightsFormat?: WeightsFormat;
  /** the TF.js version that wrote 'tfjs' weights */
  tfjsVersion?: string;
  /** the engine that trained an 'onnx' directory ({ engine: 'torch', torch: '2.x', ... }) */
  trainer?: Record<string, unknown>;
  savedAt: string;
  /** whatever the caller wants kept with the weights (training run, metrics, ...) */
  info?: Record<string, unknown>;
}

export async function saveModelDir(dir: string, model: tf.LayersModel, spec: EmbedderSpec, info?: Record<string, unknown>): Promise<void> {
  let artifacts: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler(async (a) => {
      artifacts = a;
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(a) };
    }),
  );
  if (!artifacts?.modelTopology || !artifacts.weightSpecs || !artifacts.weightData) {
    throw new Error('TF.js returned no topology or weights to save');
  }
  const weights = tf.io.CompositeArrayBuffer.join(artifacts.weightData);
  const modelJson = {
    format: 'layers-model',
    generatedBy: artifacts.generatedBy ?? `TensorFlow.js tfjs-layers v${tf.version['tfjs-layers']}`,
    convertedBy: artifacts.convertedBy ?? null,
    modelTopology: artifacts.modelTopology,
    weightsManifest: [{ paths: [MODEL_FILE_NAMES.weights], weights: artifacts.weightSpecs }],
  };
  const metadata: EmbedderMetadata = {
    format: FORMAT,
    formatVersion: FORMAT_VERSION,
    spec,
    weightsFormat: 'tfjs',
    tfjsVersion: tf.version.tfjs,
    savedAt: new Date().toISOString(),
    ...(info ? { info } : {}),
  };
  await mkdir(dir, { recursive: true });
  // metadata.json goes last: its presence marks a complete save.
  await writeFileAtomically(path.join(dir, MODEL_FILE_NAMES.weights), new Uint8Array(weights));
  await writeFileAtomically(path.join(dir, MODEL_FILE_NAMES.topology), JSON.stringify(modelJson));
  await writeFileAtomically(path.join(dir, MODEL_FILE_NAMES.metadata), `${JSON.stringify(metadata, null, 2)}\n`);
}

export async function readModelMetadata(dir: string): Promise<EmbedderMetadata> {
  const file = path.join(dir, MODEL_FILE_NAMES.metadata);
  let raw: string;
  try {
    raw = await readFile(file, 'utf8');
  } catch (error) {
    throw new Error(`No saved embedder in ${dir}: cannot read ${MODEL_FILE_NAMES.metadata} (${messageOf(error)})`, {
      cause: error,
    });
  }
  const parsed = JSON.parse(raw) as Partial<EmbedderMetadata>;
  if (parsed.format !== FORMAT || typeof parsed.formatVersion !== 'number') {
    throw new Error(`${file} is not a cbmir embedder metadata file`);
  }
  if (parsed.formatVersion > FORMAT_VERSION) {
    throw new Error(`${file} has format version ${parsed.formatVersion}; this code reads up to ${FORMAT_VERSION}`);
  }
  if (parsed.weightsFormat !== undefined && parsed.weightsFormat !== 'tfjs' && parsed.weightsFormat !== 'onnx') {
    throw new Error(`${file} names weights format "${String(parsed.weightsFormat)}"; this code reads tfjs and onnx`);
  }
  return { ...(parsed as EmbedderMetadata), spec: resolveEmbedderSpec(parsed.spec) };
}

export function weightsFormatOf(metadata: EmbedderMetadata): WeightsFormat {
  return metadata.weightsFormat ?? 'tfjs';
}

/** The error for asking TF.js to load a directory that holds ONNX weights only. */
export function onnxOnlyError(dir: string, metadata: EmbedderMetadata): Error {
  const trainer = typeof metadata.trainer?.engine === 'string' ? ` (trained with ${metadata.trainer.engine})` : '';
  return new Error(
    `${dir} holds ONNX weights only${trainer}: ONNX Runtime serves and evaluates it (onnxruntime-node, CBMIR_INFERENCE=auto or onnxruntime); ` +
      'TF.js cannot load it, so it cannot be fine-tuned by the TF.js trainer or read at layers other than its ONNX outputs',
  );
}

export async function loadModelDir(dir: string): Promise<{ model: tf.LayersModel; metadata: EmbedderMetadata }> {
  const metadata = await readModelMetadata(dir);
  if (weightsFormatOf(metadata) === 'onnx') throw onnxOnlyError(dir, metadata);
  const modelFile = path.join(dir, MODEL_FILE_NAMES.topology);
  const modelJson = JSON.parse(await readFile(modelFile, 'utf8')) as tf.io.ModelJSON;
  const manifest = modelJson.weightsManifest ?? [];
  const weightSpecs = manifest.flatMap((group) => group.weights);
  const weightFiles = manifest.flatMap((group) => group.paths);
  const buffers = await Promise.all(
    weightFiles.map(async (name) => {
      const bytes = await readFile(path.join(dir, name));
      return bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength) as ArrayBuffer;
    }),
  );
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: modelJson.modelTopology,
      weightSpecs,
      weightData: tf.io.CompositeArrayBuffer.join(buffers),
    }),
  );
  return { model, metadata };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
