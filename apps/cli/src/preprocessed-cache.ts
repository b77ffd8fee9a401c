import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { contentHash, preprocessFundus, type FundusPreprocessing } from '@cbmir/imaging';

/**
 * Preprocessing a fundus photo costs ~75 ms; training and evaluation reread the same images many times.
 * Results are kept on disk under the data directory, keyed by the image's content hash and the
 * preprocessing parameters, so a second run (or a resumed one) starts at once.
 */
export function preprocessedCacheFactory(options: { dataDir: string; params: FundusPreprocessing }) {
  const { params } = options;
  const key = `${params.version}-${params.inputSize}-${params.scaleRadius}-${params.blurSigmaFraction}-${params.keepFraction}`;
  const dir = join(options.dataDir, 'cache', 'preprocessed', key);

  return {
    async get(bytes: Uint8Array): Promise<Float32Array> {
      const file = join(dir, `${contentHash(bytes)}.f32`);
      const cached = await readFile(file).catch(() => null);
      if (cached && cached.byteLength === params.inputSize * params.inputSize * 3 * 4) {
        return new Float32Array(cached.buffer, cached.byteOffset, cached.byteLength / 4).slice();
      }
      const { data } = await preprocessFundus(bytes, params);
      await mkdir(dir, { recursive: true });
      await writeFile(`${file}.partial`, data);
      await rename(`${file}.partial`, file);
      return data;
    },
  };
}
