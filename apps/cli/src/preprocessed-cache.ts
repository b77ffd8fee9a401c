import { mkdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '@cbmir/embedder';
import { contentHash, preprocessFundus, type FundusPreprocessing } from '@cbmir/imaging';

/**
 * Preprocessing a fundus photo costs ~75 ms; training and evaluation reread the same images many times.
 * Results are kept on disk under the data directory, keyed by the image's content hash and the
 * preprocessing parameters, so a second run (or a resumed one) starts at once. Each file is the network
 * input as raw little-endian float32, HWC RGB in [-1, 1]: the PyTorch trainer reads the same files.
 */
export function preprocessedCacheFactory(options: { dataDir: string; params: FundusPreprocessing }) {
  const { params } = options;
  const key = `${params.version}-${params.inputSize}-${params.scaleRadius}-${params.blurSigmaFraction}-${params.keepFraction}`;
  const dir = join(options.dataDir, 'cache', 'preprocessed', key);
  const byteLength = params.inputSize * params.inputSize * 3 * 4;

  async function write(file: string, bytes: Uint8Array): Promise<Float32Array> {
    const { data } = await preprocessFundus(bytes, params);
    await mkdir(dir, { recursive: true });
    await writeFileAtomically(file, data);
    return data;
  }

  return {
    async get(bytes: Uint8Array): Promise<Float32Array> {
      const file = join(dir, `${contentHash(bytes)}.f32`);
      const cached = await readFile(file).catch(() => null);
      if (cached && cached.byteLength === byteLength) {
        return new Float32Array(cached.buffer, cached.byteOffset, cached.byteLength / 4).slice();
      }
      return write(file, bytes);
    },

    /** The cache file of an image, preprocessed first where it is missing. */
    async file(bytes: Uint8Array): Promise<string> {
      const file = join(dir, `${contentHash(bytes)}.f32`);
      const cached = await stat(file).catch(() => null);
      if (cached?.size !== byteLength) await write(file, bytes);
      return file;
    },
  };
}
