import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomically } from './atomic-file.ts';

/**
 * An optimiser's state (Adam: step count, first and second moments) beside a checkpoint, so `--resume`
 * continues the same optimisation instead of restarting Adam's moments. optimizer.bin holds the values
 * back to back as float32; optimizer.json names them (written last: its presence marks a complete save).
 */
const STATE_FILE = 'optimizer.json';
const VALUES_FILE = 'optimizer.bin';
const FORMAT = 'cbmir-optimizer-state';

interface StateManifest {
  format: typeof FORMAT;
  optimizer: string;
  weights: { name: string; shape: number[]; dtype: 'float32' | 'int32' }[];
}

export async function saveOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<void> {
  const weights = await optimizer.getWeights();
  const parts = await Promise.all(weights.map(async (w) => Float32Array.from(await w.tensor.data())));
  const values = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    values.set(part, offset);
    offset += part.length;
  }
  const manifest: StateManifest = {
    format: FORMAT,
    optimizer: optimizer.getClassName(),
    weights: weights.map((w) => ({ name: w.name, shape: w.tensor.shape, dtype: w.tensor.dtype === 'int32' ? 'int32' : 'float32' })),
  };
  await writeFileAtomically(path.join(dir, VALUES_FILE), new Uint8Array(values.buffer));
  await writeFileAtomically(path.join(dir, STATE_FILE), JSON.stringify(manifest));
}

/** Restores what saveOptimizerState wrote; false when `dir` has none (a checkpoint from an older release). */
export async function loadOptimizerState(dir: string, optimizer: tf.Optimizer): Promise<boolean> {
  const manifestFile = path.join(dir, STATE_FILE);
  if (!existsSync(manifestFile)) return false;
  const manifest = JSON.parse(await readFile(manifestFile, 'utf8')) as StateManifest;
  if (manifest.format !== FORMAT) throw new Error(`${manifestFile} is not a cbmir optimiser state file`);
  if (manifest.optimizer !== optimizer.getClassName()) {
    throw new Error(`${manifestFile} holds ${manifest.optimizer} state, but training uses ${optimizer.getClassName()}`);
  }
  const bytes = await readFile(path.join(dir, VALUES_FILE));
  const values = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
  const expected = manifest.weights.reduce((n, w) => n + w.shape.reduce((a, b) => a * b, 1), 0);
  if (values.length !== expected) throw new Error(`${VALUES_FILE} in ${dir} has ${values.length} values, its manifest ${expected}`);
  let offset = 0;
  const named = manifest.weights.map((w) => {
    const size = w.shape.reduce((a, b) => a * b, 1);
    const tensor = tf.tensor(values.subarray(offset, offset + size), w.shape, w.dtype);
    offset += size;
    return { name: w.name, tensor };
  });
  try {
    await optimizer.setWeights(named);
  } finally {
    // setWeights copies them into variables of its own
    tf.dispose(named.map((n) => n.tensor));
  }
  return true;
}
