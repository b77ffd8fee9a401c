import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { bench } from './bench.ts';
import { benchIngest, formatIngestBench } from './bench-ingest.ts';

describe('bench ingest', () => {
  it('ingests camera-sized synthetic photographs and sets the rate beside preprocess + embed and the bare forward pass', async () => {
    const result = await benchIngest({ images: 4, width: 1200, height: 800, log: () => {} });
    expect([result.images, result.width, result.height]).toEqual([4, 1200, 800]);
    for (const rate of [result.ingest, result.embedding, result.forwardPass]) {
      expect(rate.seconds).toBeGreaterThan(0);
      expect(rate.imagesPerSecond).toBeCloseTo(4 / rate.seconds, 6);
      expect(rate.cpuMsPerImage).toBeGreaterThan(0);
    }
    // The forward pass is part of preprocess + embed, which is part of ingest.
    expect(result.forwardPass.imagesPerSecond).toBeGreaterThan(result.ingest.imagesPerSecond);
    const table = formatIngestBench(result);
    expect(table).toContain('4 synthetic 1200x800 JPEG photographs');
    expect(table).toContain(`CPU ${result.ingest.cpuMsPerImage.toFixed(0)} ms/image`);
    expect(table).toContain(`${((result.ingest.imagesPerSecond / result.forwardPass.imagesPerSecond) * 100).toFixed(0)}% of the bare forward pass`);
  }, 300_000);

  it('refuses a bad --photo-size before drawing anything', async () => {
    await expect(bench(['ingest', '--photo-size', '3000by2000'], () => {})).rejects.toThrow(UsageError);
  });
});
