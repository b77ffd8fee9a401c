import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { decodeImage } from './decode-image.ts';
import { findFundusDisc } from './fundus-disc.ts';
import {
  DEFAULT_PREPROCESSING,
  GRAHAM_SCALE_RADIUS,
  preprocessFundus,
  preprocessingForInputSize,
  resolvePreprocessing,
  UnsupportedPreprocessingError,
  type PreprocessedImage,
} from './fundus-preprocess.ts';
import { ImageValidationError } from './image-error.ts';
import { generateSyntheticFundus, syntheticFundusGeometry, type SyntheticFundusOptions } from './synthetic-fundus.ts';
import { gradientPng, noiseImage } from './test-fixtures.ts';

const NEUTRAL = 128 / 127.5 - 1;

/** Graham's own radius, with which the models of graham-v1 to v3 were made: the versions are compared under it. */
const GRAHAM = { ...DEFAULT_PREPROCESSING, scaleRadius: GRAHAM_SCALE_RADIUS };

function meanAbsDifference(a: Float32Array, b: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += Math.abs(a[i]! - b[i]!);
  return sum / a.length;
}

function pixel(image: PreprocessedImage, x: number, y: number): number[] {
  const i = (y * image.size + x) * 3;
  return Array.from(image.data.subarray(i, i + 3));
}

function sameTensor(a: PreprocessedImage, b: PreprocessedImage): boolean {
  return Buffer.from(a.data.buffer, a.data.byteOffset, a.data.byteLength).equals(Buffer.from(b.data.buffer, b.data.byteOffset, b.data.byteLength));
}

let frame: Promise<Buffer> | undefined;
/** A 2400x1600 camera frame (JPEG, quality 90), drawn once for the tests that need one. */
function cameraFrame(): Promise<Buffer> {
  frame ??= generateSyntheticFundus({ seed: 5, grade: 2, width: 2400, height: 1600 }).then((bytes) => sharp(bytes).jpeg({ quality: 90 }).toBuffer());
  return frame;
}

describe('preprocessFundus', () => {
  it("uses the paper's settings by default, with Graham's filter computed at the network's scale", () => {
    expect(DEFAULT_PREPROCESSING).toEqual(preprocessingForInputSize(224));
    expect(DEFAULT_PREPROCESSING).toMatchObject({ inputSize: 224, keepFraction: 0.9, blurSigmaFraction: 1 / 30, version: 'graham-v4' });
    // The kept 90% of the disc spans the input exactly, so nothing is resampled after the filter.
    for (const inputSize of [64, 128, 224, 299]) {
      const params = preprocessingForInputSize(inputSize);
      expect(Math.round(2 * params.keepFraction * params.scaleRadius)).toBe(inputSize);
    }
    expect(preprocessingForInputSize(16).scaleRadius).toBe(16);
    // Graham's own radius on request, as the shipped model was trained.
    expect(preprocessingForInputSize(128, 'graham-v3')).toEqual({ ...GRAHAM, version: 'graham-v3', inputSize: 128 });
  });

  it('returns a 224x224x3 HWC image in [-1, 1] with the disc it found', async () => {
    const options: SyntheticFundusOptions = { seed: 21, grade: 2 };
    const truth = syntheticFundusGeometry(options);
    const out = await preprocessFundus(await generateSyntheticFundus(options));
    expect(out.size).toBe(224);
    expect(out.data).toBeInstanceOf(Float32Array);
    expect(out.data.length).toBe(224 * 224 * 3);
    let min = Infinity;
    let max = -Infinity;
    for (const v of out.data) {
      expect(Number.isFinite(v)).toBe(true);
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    expect(min).toBeGreaterThanOrEqual(-1);
    expect(max).toBeLessThanOrEqual(1);
    // Vessels and lesions survive the local-average subtraction as strong contrast.
    expect(max - min).toBeGreaterThan(1);
    expect(out.disc.fallback).toBe(false);
    expect(Math.abs(out.disc.radius - truth.radius) / truth.radius).toBeLessThan(0.03);
  });

  it('fills the outside of the kept disc with neutral grey', async () => {
    const out = await preprocessFundus(await generateSyntheticFundus({ seed: 4, grade: 1 }));
    for (const [x, y] of [
      [0, 0],
      [223, 0],
      [0, 223],
      [223, 223],
      [20, 20],
    ] as const) {
      for (const v of pixel(out, x, y)) expect(v).toBeCloseTo(NEUTRAL, 5);
    }
    // Inside, the retina varies.
    const centre = out.data.subarray((112 * 224 + 60) * 3, (112 * 224 + 164) * 3);
    expect(Math.max(...centre) - Math.min(...centre)).toBeGreaterThan(0.2);
  });

  it('is deterministic', async () => {
    const bytes = await generateSyntheticFundus({ seed: 9, grade: 3 });
    const a = await preprocessFundus(bytes);
    const b = await preprocessFundus(bytes);
    expect(Buffer.from(a.data.buffer).equals(Buffer.from(b.data.buffer))).toBe(true);
    expect(a.disc).toEqual(b.disc);
  });

  it('gives a camera frame with black borders the same output as a 256 px square cut out of it, as the EyePACS copies were', async () => {
    const frameOf = async (seed: number) =>
      sharp(await generateSyntheticFundus({ seed, grade: 2, width: 2400, height: 1600 }))
        .jpeg({ quality: 90 })
        .toBuffer();
    const frame = await frameOf(12);
    const disc = await findFundusDisc(frame);
    const side = Math.round(2.08 * disc.radius);
    const top = Math.max(0, Math.round(disc.cy - side / 2));
    const square = await sharp(frame)
      .extract({ left: Math.round(disc.cx - side / 2), top, width: side, height: Math.min(side, 1600 - top) })
      .resize(256, 256, { fit: 'fill' })
      .jpeg({ quality: 90 })
      .toBuffer();
    const otherEye = await frameOf(13);
    // Same eye against other eye, as a share. Here Graham's radius of 300 (graham-v3) gives 0.37, the network's
    // scale 0.46 with graham-v4's anti-alias and 0.55 without (over five eyes: 0.38, 0.38, 0.47).
    const share = async (params: typeof DEFAULT_PREPROCESSING) => {
      const [a, b, c] = await Promise.all([frame, square, otherEye].map((bytes) => preprocessFundus(bytes, params)));
      expect(a!.disc.fallback).toBe(false);
      return meanAbsDifference(a!.data, b!.data) / meanAbsDifference(a!.data, c!.data);
    };
    const graham = await share({ ...GRAHAM, version: 'graham-v3' });
    const networkScale = await share(DEFAULT_PREPROCESSING);
    const withoutAntiAlias = await share({ ...DEFAULT_PREPROCESSING, version: 'graham-v3' });
    expect(graham).toBeLessThan(0.4);
    // graham-v4's anti-alias is what keeps the network's scale as consistent across resolutions as Graham's.
    expect(networkScale).toBeLessThan(graham * 1.3);
    expect(withoutAntiAlias).toBeGreaterThan(networkScale * 1.1);
  });

  it('applies the EXIF orientation before looking for the disc', async () => {
    const upright = await generateSyntheticFundus({ seed: 6, grade: 3, width: 360, height: 256 });
    // Stored turned a quarter anticlockwise, with a tag telling viewers to turn it back.
    const tagged = await sharp(upright).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer();
    const a = await preprocessFundus(upright);
    const b = await preprocessFundus(tagged);
    expect(b.disc.cx).toBeCloseTo(a.disc.cx, 0);
    expect(b.disc.cy).toBeCloseTo(a.disc.cy, 0);
    const otherEye = await preprocessFundus(await generateSyntheticFundus({ seed: 7, grade: 3, width: 360, height: 256 }));
    expect(meanAbsDifference(a.data, b.data)).toBeLessThan(meanAbsDifference(a.data, otherEye.data) / 3);
  });

  it('graham-v2 is bit-identical to graham-v1 where the disc is enlarged (a 256 px photo)', async () => {
    const bytes = await generateSyntheticFundus({ seed: 4, grade: 1 });
    const v1 = await preprocessFundus(bytes, { ...GRAHAM, version: 'graham-v1' });
    const v2 = await preprocessFundus(bytes, { ...GRAHAM, version: 'graham-v2' });
    expect(v2.disc.radius).toBeLessThan(GRAHAM.scaleRadius);
    expect(Buffer.from(v2.data.buffer).equals(Buffer.from(v1.data.buffer))).toBe(true);
  });

  it('graham-v2 decodes a large camera frame at reduced size and stays within resampling noise of graham-v1', async () => {
    const frame = await cameraFrame();
    const v1 = await preprocessFundus(frame, { ...GRAHAM, version: 'graham-v1' });
    const v2 = await preprocessFundus(frame, { ...GRAHAM, version: 'graham-v2' });
    const otherEye = await preprocessFundus(
      await sharp(await generateSyntheticFundus({ seed: 6, grade: 2, width: 2400, height: 1600 }))
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    expect(v2.disc).toEqual(v1.disc);
    expect(Buffer.from(v2.data.buffer).equals(Buffer.from(v1.data.buffer))).toBe(false); // the v2 path ran
    // Mean difference in 8-bit grey levels: a few levels of resampling noise, not a different picture.
    expect(meanAbsDifference(v1.data, v2.data) * 127.5).toBeLessThan(4);
    expect(meanAbsDifference(v1.data, v2.data)).toBeLessThan(meanAbsDifference(v2.data, otherEye.data) / 5);
  });

  it('graham-v2 and graham-v3 refuse a truncated large JPEG like a full decode does', async () => {
    const frame = await cameraFrame();
    const truncated = frame.subarray(0, Math.floor(frame.length * 0.9));
    for (const version of ['graham-v2', 'graham-v3']) {
      await expect(preprocessFundus(truncated, { ...GRAHAM, version })).rejects.toThrow(ImageValidationError);
    }
  });

  it('graham-v3 preprocesses a decoded image exactly as its bytes (camera frame, EXIF rotation, grey, CMYK, 16-bit, transparency, WebP)', async () => {
    const frame = await cameraFrame();
    const photo = await generateSyntheticFundus({ seed: 8, grade: 2, size: 512 });
    const inputs = [
      frame,
      await sharp(frame).rotate(270).jpeg({ quality: 90 }).withMetadata({ orientation: 6 }).toBuffer(),
      await sharp(frame).greyscale().jpeg().toBuffer(),
      await sharp(frame).webp().toBuffer(),
      await sharp(photo).toColourspace('cmyk').jpeg().toBuffer(),
      await sharp(photo).toColourspace('rgb16').png().toBuffer(),
      await sharp(photo).ensureAlpha(0.5).png().toBuffer(),
    ];
    for (const bytes of inputs) {
      const fromBytes = await preprocessFundus(bytes);
      const decoded = await decodeImage(bytes, { scaleRadius: DEFAULT_PREPROCESSING.scaleRadius });
      expect(sameTensor(await preprocessFundus(decoded), fromBytes)).toBe(true);
      expect((await preprocessFundus(decoded)).disc).toEqual(fromBytes.disc);
      // Pixels decoded for another radius are not used: the result is still what the bytes give.
      const custom = { ...DEFAULT_PREPROCESSING, scaleRadius: 100 };
      expect(sameTensor(await preprocessFundus(decoded, custom), await preprocessFundus(bytes, custom))).toBe(true);
    }
  });

  it('graham-v1 and graham-v2 given a decoded image decode its bytes their own way', async () => {
    const frame = await cameraFrame();
    const decoded = await decodeImage(frame);
    for (const version of ['graham-v1', 'graham-v2']) {
      const params = { ...GRAHAM, version };
      expect(sameTensor(await preprocessFundus(decoded, params), await preprocessFundus(frame, params))).toBe(true);
    }
  });

  it('graham-v3 is bit-identical to graham-v1 where the photo is decoded at its own size (8-bit RGB, grey, CMYK, transparency, EXIF rotation)', async () => {
    const photo = await generateSyntheticFundus({ seed: 8, grade: 2, size: 512 });
    const inputs = [
      photo,
      await generateSyntheticFundus({ seed: 4, grade: 1 }),
      await sharp(photo).greyscale().jpeg().toBuffer(),
      await sharp(photo).toColourspace('cmyk').jpeg().toBuffer(),
      await sharp(photo).ensureAlpha(0.5).png().toBuffer(),
      await sharp(photo).rotate(270).jpeg({ quality: 95 }).withMetadata({ orientation: 6 }).toBuffer(),
    ];
    for (const bytes of inputs) {
      const v1 = await preprocessFundus(bytes, { ...GRAHAM, version: 'graham-v1' });
      const v3 = await preprocessFundus(bytes, { ...GRAHAM, version: 'graham-v3' });
      expect(sameTensor(v3, v1)).toBe(true);
      expect(v3.disc).toEqual(v1.disc);
    }
  });

  it('graham-v3 decodes a large camera frame once, at reduced size, and stays within resampling noise of graham-v1', async () => {
    const frame = await cameraFrame();
    const v1 = await preprocessFundus(frame, { ...GRAHAM, version: 'graham-v1' });
    const v3 = await preprocessFundus(frame, { ...GRAHAM, version: 'graham-v3' });
    const otherEye = await preprocessFundus(
      await sharp(await generateSyntheticFundus({ seed: 6, grade: 2, width: 2400, height: 1600 }))
        .jpeg({ quality: 90 })
        .toBuffer(),
    );
    expect((await decodeImage(frame)).pixels).toMatchObject({ width: 990, height: 660 });
    expect(sameTensor(v3, v1)).toBe(false); // the v3 path ran
    expect(Math.abs(v3.disc.cx - v1.disc.cx)).toBeLessThan(3);
    expect(Math.abs(v3.disc.cy - v1.disc.cy)).toBeLessThan(3);
    expect(Math.abs(v3.disc.radius - v1.disc.radius) / v1.disc.radius).toBeLessThan(0.005);
    expect(meanAbsDifference(v1.data, v3.data) * 127.5).toBeLessThan(4);
    expect(meanAbsDifference(v1.data, v3.data)).toBeLessThan(meanAbsDifference(v3.data, otherEye.data) / 5);
  });

  it('honours custom parameters', async () => {
    const out = await preprocessFundus(await generateSyntheticFundus({ seed: 2, grade: 0 }), {
      ...DEFAULT_PREPROCESSING,
      inputSize: 64,
      scaleRadius: 100,
      keepFraction: 0.8,
    });
    expect(out.size).toBe(64);
    expect(out.data.length).toBe(64 * 64 * 3);
  });

  it('rejects invalid parameters with a RangeError', async () => {
    const bytes = await generateSyntheticFundus({ seed: 2, grade: 0, size: 64 });
    await expect(preprocessFundus(bytes, { ...DEFAULT_PREPROCESSING, keepFraction: 0 })).rejects.toBeInstanceOf(RangeError);
    await expect(preprocessFundus(bytes, { ...DEFAULT_PREPROCESSING, inputSize: 10.5 })).rejects.toBeInstanceOf(RangeError);
  });

  it('does not throw for valid pictures that are not fundus photos', async () => {
    const gradient = await preprocessFundus(await gradientPng(300, 200));
    expect(gradient.disc).toEqual({ cx: 150, cy: 100, radius: 100, fallback: true });
    // A linear ramp has no local contrast: it comes out nearly flat grey.
    let largest = 0;
    for (const v of gradient.data) largest = Math.max(largest, Math.abs(v - NEUTRAL));
    expect(largest).toBeLessThan(0.1);

    const inputs = [
      await (await noiseImage(32, 32)).png().toBuffer(),
      await (await noiseImage(2000, 40)).jpeg().toBuffer(),
      await sharp({ create: { width: 64, height: 64, channels: 4, background: { r: 0, g: 0, b: 0, alpha: 0 } } })
        .png()
        .toBuffer(),
      await (await noiseImage(80, 60)).grayscale().png().toBuffer(),
      await (await noiseImage(80, 60)).png({ palette: true }).toBuffer(),
      await (await noiseImage(80, 60)).toColourspace('rgb16').png().toBuffer(),
      await (await noiseImage(80, 60)).tiff().withMetadata({ orientation: 8 }).toBuffer(),
      await (await noiseImage(80, 60)).toColourspace('cmyk').jpeg().toBuffer(),
    ];
    for (const bytes of inputs) {
      const out = await preprocessFundus(bytes);
      expect(out.data.length).toBe(224 * 224 * 3);
    }
  });

  it('throws ImageValidationError for bad input', async () => {
    await expect(preprocessFundus(new Uint8Array(0))).rejects.toMatchObject({ code: 'empty' });
    await expect(preprocessFundus(new TextEncoder().encode('plain text'))).rejects.toBeInstanceOf(ImageValidationError);
    const jpeg = await generateSyntheticFundus({ seed: 1, grade: 0 });
    await expect(preprocessFundus(jpeg.subarray(0, jpeg.length / 2))).rejects.toMatchObject({ code: 'undecodable' });
  });
});

describe('resolvePreprocessing', () => {
  it("fills a model's partial record with Graham's values (radius 300) and its input size", () => {
    expect(resolvePreprocessing({ version: 'graham-v3', scaleRadius: 300 }, 128)).toEqual({ ...GRAHAM, version: 'graham-v3', inputSize: 128 });
    expect(resolvePreprocessing({ version: 'graham-v2' }, 128)).toEqual({ ...GRAHAM, version: 'graham-v2', inputSize: 128 });
    expect(resolvePreprocessing({ ...GRAHAM, version: 'graham-v1' }, 64)).toEqual({ ...GRAHAM, version: 'graham-v1', inputSize: 64 });
    expect(resolvePreprocessing(preprocessingForInputSize(128), 128)).toEqual(preprocessingForInputSize(128));
  });

  it('reads a record without a version (older releases) as graham-v1, the only version they had', () => {
    expect(resolvePreprocessing(null, 64)).toEqual({ ...GRAHAM, version: 'graham-v1', inputSize: 64 });
    expect(resolvePreprocessing({ scaleRadius: 300 }, 224).version).toBe('graham-v1');
  });

  it('refuses a preprocessing version this code does not implement', () => {
    expect(() => resolvePreprocessing({ ...DEFAULT_PREPROCESSING, version: 'graham-v9' }, 224)).toThrow(UnsupportedPreprocessingError);
    expect(() => resolvePreprocessing({ version: 'graham-v9' }, 224)).toThrow(/"graham-v9" is not implemented .* graham-v1/);
  });
});
