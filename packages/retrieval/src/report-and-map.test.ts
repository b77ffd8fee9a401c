import { describe, expect, it } from 'vitest';
import { createRandom } from '@cbmir/seeded-random';
import { evaluationSetFingerprint } from './evaluation-set-fingerprint.ts';
import { embeddingMap, stratifiedSample } from './embedding-map.ts';
import { vectorMatrix } from './exact-knn.ts';
import type { EvaluationReport } from './evaluation-report.ts';
import { runEvaluation } from './evaluation-run.ts';
import { renderReportHtml } from './report-html.ts';
import { formatEvaluation, formatLayerTable } from './text-report.ts';

const random = createRandom(9).next;
const items = Array.from({ length: 60 }, (_, i) => ({ key: `k${i}`, grade: i % 5, patient: `p${i >> 1}` }));
const vectors = vectorMatrix(items.map((item) => Array.from({ length: 60 }, (_, d) => (d === item.grade ? 3 : 0) + random())));

describe('embedding maps', () => {
  it('PCA then t-SNE puts every point in [0, 1]^2, and grades apart', () => {
    const points = embeddingMap(
      vectors,
      items.map((i) => i.grade),
      { iterations: 300 },
    );
    expect(points).toHaveLength(60);
    for (const p of points) {
      expect(p.x).toBeGreaterThanOrEqual(0);
      expect(p.y).toBeLessThanOrEqual(1);
      expect(p.grade).toBe(items[p.index]!.grade);
    }
    // each grade's points sit nearer their own centre than the other grades' points do
    const centre = (g: number) => {
      const own = points.filter((p) => p.grade === g);
      return [own.reduce((s, p) => s + p.x, 0) / own.length, own.reduce((s, p) => s + p.y, 0) / own.length];
    };
    const [cx, cy] = centre(0);
    const spread = (g: number) => Math.hypot(centre(g)[0]! - cx!, centre(g)[1]! - cy!);
    const inner = points.filter((p) => p.grade === 0).reduce((s, p) => s + Math.hypot(p.x - cx!, p.y - cy!), 0) / 12;
    expect(Math.min(spread(1), spread(2), spread(3), spread(4))).toBeGreaterThan(inner);
  });

  it('samples per grade in proportion, keeping rare grades, reproducibly', () => {
    const grades = [...Array(900).fill(0), ...Array(90).fill(2), ...Array(10).fill(4)];
    const sample = stratifiedSample(grades, 100, 1);
    expect(sample.filter((i) => grades[i] === 0)).toHaveLength(90);
    expect(sample.filter((i) => grades[i] === 2)).toHaveLength(9);
    expect(sample.filter((i) => grades[i] === 4)).toHaveLength(1);
    expect(stratifiedSample(grades, 100, 1)).toEqual(sample);
    expect(stratifiedSample([0, 1], 100, 1)).toEqual([0, 1]);
  });
});

describe('data fingerprints', () => {
  it('depend on the pictures and labels, not on their order', () => {
    const a = { sha256: 'aa', grade: 1, patient: 'p', eye: 'left' };
    const b = { sha256: 'bb', grade: 0, patient: 'q', eye: null };
    expect(evaluationSetFingerprint([a, b])).toBe(evaluationSetFingerprint([b, a]));
    expect(evaluationSetFingerprint([a, b])).not.toBe(evaluationSetFingerprint([{ ...a, grade: 2 }, b]));
    expect(evaluationSetFingerprint([a, b])).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('reports', () => {
  const result = runEvaluation({ items, vectors });
  const report = (label: string): EvaluationReport => ({
    id: null,
    createdAt: '2026-11-25T00:00:00.000Z',
    source: {
      label,
      modelVersionId: null,
      modelName: label,
      architecture: 'resnet-tiny',
      inputSize: 32,
      trained: false,
      kind: null,
      layer: null,
      dimensions: 60,
    },
    data: { name: 'synthetic <set>', images: 60, unlabelled: 0, fingerprint: 'f'.repeat(64) },
    gallery: null,
    result,
    embeddings: { fromDatabase: 0, fromCache: 0, computed: 60 },
    map: [{ imageId: null, sha256: 'ab'.repeat(32), x: 0.5, y: 0.5, grade: 3 }],
    timings: { readSeconds: 0, embedSeconds: 1, rankSeconds: 0.1, mapSeconds: 0.2, totalSeconds: 1.3 },
  });

  it('print every metric with its chance level', () => {
    const text = formatEvaluation(report('m'));
    for (const label of ['MAP', 'macro-MAP', 'MRR', 'P@1', 'P@5', 'P@10', 'R@10', 'vote accuracy', 'kappa']) expect(text).toContain(label);
    expect(text).toContain(result.chance.map!.toFixed(4));
    expect(formatLayerTable([report('a'), report('b')]).split('\n')[0]).toMatch(/^Layer\s+a\s+b$/);
  });

  it('render a self-contained HTML page with SVG curves and maps', () => {
    const html = renderReportHtml([report('a'), report('b')]);
    expect(html).toMatch(/^<!doctype html>/);
    expect(html.match(/<svg /g)).toHaveLength(4);
    expect(html).not.toMatch(/<script|<link|src="http/);
    expect(html).toContain('synthetic &lt;set&gt;');
  });
});
