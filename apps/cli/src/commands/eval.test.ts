import { describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { parseEvalOptions } from './eval.ts';

describe('cbmir eval options', () => {
  it('needs data and labels, and a gallery with its labels', () => {
    expect(() => parseEvalOptions({ data: 'd' })).toThrow(UsageError);
    expect(() => parseEvalOptions({ data: 'd', labels: 'l', gallery: 'g' })).toThrow(/--gallery-labels/);
    expect(() => parseEvalOptions({ data: 'd', labels: 'l', 'gallery-labels': 'g' })).toThrow(/--gallery/);
  });

  it('takes --model or --untrained (with its spec), not both', () => {
    expect(() => parseEvalOptions({ data: 'd', labels: 'l', model: 'm', untrained: true })).toThrow(/not both/);
    expect(() => parseEvalOptions({ data: 'd', labels: 'l', arch: 'resnet-tiny' })).toThrow(/--untrained/);
    expect(() => parseEvalOptions({ data: 'd', labels: 'l', untrained: true, 'image-size': '9' })).toThrow(/image-size/);
    const options = parseEvalOptions({ data: 'd', labels: 'l', untrained: true, arch: 'resnet-tiny', 'image-size': '64', layers: 'output, -2,m:third-last' });
    expect(options.untrained).toEqual({ architecture: 'resnet-tiny', inputSize: 64, embeddingDim: undefined, seed: undefined });
    expect(options.layers).toEqual(['output', '-2', 'm:third-last']);
    expect(options).toMatchObject({ mapPoints: 2000, store: true, json: false });
    expect(parseEvalOptions({ data: 'd', labels: 'l', 'no-store': true, 'map-points': '0' })).toMatchObject({ store: false, mapPoints: 0 });
  });
});
