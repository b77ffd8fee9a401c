import * as tf from '@tensorflow/tfjs';
import { mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../backend.ts';
import { createEmbedder } from '../embedding-model.ts';
import { resolveEmbedderSpec } from '../model-spec.ts';
import { embeddingDifference } from './embedding-parity.ts';
import { ONNX_INPUT_NAME, ONNX_OUTPUT_NAME, exportOnnx } from './export-onnx.ts';
import { loadOnnxEmbedder } from './onnx-embedder.ts';
import { ONNX_FILE_NAME, onnxFileState } from './onnx-model-file.ts';
import { decodeModel } from './onnx-proto.ts';
import { loadServingEmbedder } from './serving-embedder.ts';

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = await mkdtemp(path.join(tmpdir(), 'cbmir-export-onnx-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const opTypes = (bytes: Uint8Array) => decodeModel(bytes).graph.node.map((n) => n.op_type);

describe('exportOnnx', () => {
  it('writes a ResNet as Transpose + Conv/Relu/MaxPool/Add + pooling + Gemm, batch norm folded, batch dimension symbolic', async () => {
    const embedder = await createEmbedder({ architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 8 });
    try {
      const bytes = await exportOnnx(embedder.model, { metadata: { 'cbmir.spec': JSON.stringify(embedder.spec) } });
      const model = decodeModel(bytes);
      const ops = opTypes(bytes);
      expect(ops[0]).toBe('Transpose');
      expect(new Set(ops)).toEqual(new Set(['Transpose', 'Conv', 'Relu', 'Add', 'GlobalAveragePool', 'Flatten', 'Gemm', 'Identity']));
      // Every batch norm of the network sat right after a convolution.
      expect(embedder.model.layers.filter((l) => l.getClassName() === 'BatchNormalization').length).toBe(ops.filter((op) => op === 'Conv').length);
      expect(model.graph.input.map((i) => [i.name, i.type.tensor_type.shape.dim])).toEqual([
        [ONNX_INPUT_NAME, [{ dim_param: 'batch' }, { dim_value: 32 }, { dim_value: 32 }, { dim_value: 3 }]],
      ]);
      expect(model.graph.output.map((o) => [o.name, o.type.tensor_type.shape.dim])).toEqual([[ONNX_OUTPUT_NAME, [{ dim_param: 'batch' }, { dim_value: 8 }]]]);
      expect(model.metadata_props).toContainEqual({ key: 'cbmir.input_layout', value: 'NHWC' });
      expect(model.opset_import).toEqual([{ version: 17 }]); // the default ('') domain: proto3 leaves it out
    } finally {
      embedder.dispose();
    }
  });

  it('translates the other supported layers exactly (same-padding strides, loose batch norm, pads, pools, flatten, dense)', async () => {
    const input = tf.input({ shape: [19, 19, 3] });
    let x = tf.layers.conv2d({ filters: 6, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', name: 'c1' }).apply(input) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn_loose' }).apply(x) as tf.SymbolicTensor; // after a ReLU: cannot fold
    x = tf.layers
      .zeroPadding2d({
        padding: [
          [1, 0],
          [0, 1],
        ],
        name: 'pad_signed',
      })
      .apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 2, strides: 1, name: 'pool_signed' }).apply(x) as tf.SymbolicTensor; // needs a real Pad
    x = tf.layers.conv2d({ filters: 5, kernelSize: 2, useBias: false, name: 'c2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.batchNormalization({ name: 'bn_folded', epsilon: 0.01 }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.activation({ activation: 'relu', name: 'r2' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.zeroPadding2d({ padding: 1, name: 'pad_relu' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.maxPooling2d({ poolSize: 3, strides: 2, name: 'pool_relu' }).apply(x) as tf.SymbolicTensor; // pads fold in
    x = tf.layers.averagePooling2d({ poolSize: 2, strides: 2, padding: 'same', name: 'avg' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'flat' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dense({ units: 7, activation: 'tanh', name: 'd1' }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.dropout({ rate: 0.5, name: 'drop' }).apply(x) as tf.SymbolicTensor;
    const output = tf.layers.dense({ units: 4, name: 'd2' }).apply(x) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    for (const layer of model.layers.filter((l) => l.getClassName() === 'BatchNormalization')) {
      const n = layer.getWeights()[0]!.shape[0]!;
      const values = [
        tf.randomUniform([n], 0.5, 1.5, 'float32', 1),
        tf.randomUniform([n], -0.3, 0.3, 'float32', 2),
        tf.randomUniform([n], -0.5, 0.5, 'float32', 3),
        tf.randomUniform([n], 0.3, 2, 'float32', 4),
      ];
      layer.setWeights(values);
      values.forEach((t) => t.dispose());
    }

    const bytes = await exportOnnx(model);
    const ops = opTypes(bytes);
    expect(ops.filter((op) => op === 'BatchNormalization')).toHaveLength(1);
    expect(ops.filter((op) => op === 'Pad')).toHaveLength(1);
    expect(ops).toContain('AveragePool');

    const file = path.join(dir, 'layers.onnx');
    await writeFile(file, bytes);
    const spec = resolveEmbedderSpec({ architecture: 'resnet-tiny', inputSize: 19, embeddingDim: 4 });
    const onnx = await loadOnnxEmbedder(file, spec, { provider: 'cpu' });
    try {
      const images = Array.from({ length: 3 }, (_, k) => Float32Array.from({ length: 19 * 19 * 3 }, (_, i) => Math.sin(i * 0.37 + k)));
      const batch = tf.tensor4d(Float32Array.from(images.flatMap((im) => [...im])), [3, 19, 19, 3]);
      const predicted = model.predict(batch) as tf.Tensor;
      const values = (await predicted.data()) as Float32Array;
      const expected = images.map((_, k) => values.slice(k * 4, (k + 1) * 4));
      batch.dispose();
      predicted.dispose();
      expect(embeddingDifference(expected, await onnx.embed(images)).maxRelative).toBeLessThan(1e-5);
    } finally {
      onnx.dispose();
      model.dispose();
    }
  });

  it('names the layer it cannot translate', async () => {
    const input = tf.input({ shape: [8, 8, 3] });
    const up = tf.layers.upSampling2d({ size: [2, 2], name: 'upsample' }).apply(input) as tf.SymbolicTensor;
    const output = tf.layers.globalAveragePooling2d({}).apply(up) as tf.SymbolicTensor;
    const model = tf.model({ inputs: input, outputs: output });
    await expect(exportOnnx(model)).rejects.toThrow(/layer upsample \(UpSampling2D\) has no ONNX translation/);
    model.dispose();
  });
});

describe('loadServingEmbedder', () => {
  it('serves a saved model with ONNX Runtime once it has a fresh model.onnx, else with TF.js', async () => {
    const modelDir = path.join(dir, 'saved');
    const original = await createEmbedder({ architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 8, seed: 4 });
    await original.save(modelDir);
    const warnings: string[] = [];
    const log = { info: () => {}, warn: (m: string) => warnings.push(m) };
    try {
      const tfjs = await loadServingEmbedder(modelDir, { log });
      expect(tfjs.engine).not.toMatch(/^onnxruntime/);
      expect(warnings.join('\n')).toMatch(/no model\.onnx in .*models export-onnx/);
      tfjs.dispose();

      const onnx = await loadServingEmbedder(modelDir, { log, exportIfMissing: true, provider: 'cpu' });
      expect(onnx.engine).toBe('onnxruntime-cpu');
      expect(await onnxFileState(modelDir)).toBe('fresh');
      const images = [Float32Array.from({ length: 32 * 32 * 3 }, (_, i) => Math.cos(i))];
      expect(embeddingDifference(await original.embed(images), await onnx.embed(images)).maxRelative).toBeLessThan(1e-4);
      onnx.dispose();

      // Weights saved over the directory after the export: the ONNX file no longer describes them.
      const later = new Date(Date.now() + 60_000);
      await utimes(path.join(modelDir, 'weights.bin'), later, later);
      expect(await onnxFileState(modelDir)).toBe('stale');
      await expect(loadServingEmbedder(modelDir, { engine: 'onnxruntime', log })).rejects.toThrow(/older than the TF\.js weights/);
      await rm(path.join(modelDir, ONNX_FILE_NAME));
      expect(await onnxFileState(modelDir)).toBe('missing');
    } finally {
      original.dispose();
    }
  });
});
