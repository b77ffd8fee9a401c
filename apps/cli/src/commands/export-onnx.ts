import type { CbmirServices } from '@cbmir/core';
import { embeddingDifference, loadOnnxEmbedder, onnxRuntimeInstalled } from '@cbmir/embedder';
import { findVersion } from './models.ts';
import { createRandom } from '@cbmir/seeded-random';

/**
 * `cbmir models export-onnx <id|name>`: (re-)writes the version's model.onnx, then embeds a few random
 * images with TF.js and with ONNX Runtime and prints how far apart they are.
 */
export async function exportOnnxCommand(services: CbmirServices, idOrName: string): Promise<string> {
  const version = await findVersion(services, idOrName);
  const exported = await services.models.exportOnnx(version);
  const lines = [`exported ${version.name} to ${exported.file} (${(exported.bytes / 1e6).toFixed(1)} MB) in ${exported.seconds.toFixed(1)} s`];
  if (!onnxRuntimeInstalled()) return [...lines, 'onnxruntime-node is not installed: TF.js keeps serving this version'].join('\n');

  const tfjs = await services.runtime.load(version, { engine: 'tfjs' });
  try {
    const onnx = await loadOnnxEmbedder(exported.file, tfjs.embedder.spec);
    try {
      const images = randomImages(4, tfjs.embedder.spec.inputSize);
      const difference = embeddingDifference(await tfjs.embedder.embed(images), await onnx.embed(images));
      lines.push(
        `parity on ${images.length} random images (${onnx.engine} vs TF.js ${tfjs.embedder.engine}): ` +
          `max |difference| ${difference.maxAbs.toExponential(2)}, ${difference.maxRelative.toExponential(2)} of the largest component`,
      );
    } finally {
      onnx.dispose();
    }
  } finally {
    tfjs.embedder.dispose();
  }
  return lines.join('\n');
}

/** Uniform values in [-1, 1) from a fixed seed: the same images every run. */
function randomImages(count: number, size: number): Float32Array[] {
  const random = createRandom(12345);
  return Array.from({ length: count }, () => Float32Array.from({ length: size * size * 3 }, () => random.range(-1, 1)));
}
