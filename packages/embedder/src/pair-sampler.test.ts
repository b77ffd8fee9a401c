import { describe, expect, it } from 'vitest';
import { createPairSampler, type Pair, type PairItem } from './pair-sampler.ts';

/** `perGrade[g]` images of grade g, two images (left and right eye) per patient. */
function dataset(perGrade: number[]): PairItem[] {
  const items: PairItem[] = [];
  perGrade.forEach((count, label) => {
    for (let i = 0; i < count; i++) items.push({ id: `g${label}-${i}`, label, patientId: `p${label}-${i >> 1}` });
  });
  return items;
}

function check(items: PairItem[], pairs: Pair[]): void {
  const byId = new Map(items.map((item) => [item.id, item]));
  for (const pair of pairs) {
    const a = byId.get(pair.a);
    const b = byId.get(pair.b);
    expect(a && b, `unknown id in ${JSON.stringify(pair)}`).toBeTruthy();
    expect(pair.a).not.toBe(pair.b);
    if (a?.patientId != null) expect(a.patientId).not.toBe(b?.patientId);
    expect(pair.same).toBe(a?.label === b?.label);
  }
}

describe('createPairSampler', () => {
  const items = dataset([40, 10, 8, 6, 4]);

  it('makes "same" pairs of one grade and "different" pairs of two, never from one patient', () => {
    const sampler = createPairSampler(items, { seed: 3 });
    const pairs = [...sampler.batch(500), ...Array.from({ length: 500 }, () => sampler.next())];
    check(items, pairs);
    expect(pairs.some((p) => p.same)).toBe(true);
    expect(pairs.some((p) => !p.same)).toBe(true);
  });

  it('never pairs a patient with themself, even when a patient has images of two grades', () => {
    // Patient X has a grade-0 eye and a grade-2 eye; Y and Z give the only other images.
    const mixed: PairItem[] = [
      { id: 'x-left', label: 0, patientId: 'X' },
      { id: 'x-right', label: 2, patientId: 'X' },
      { id: 'y', label: 0, patientId: 'Y' },
      { id: 'z', label: 2, patientId: 'Z' },
    ];
    const pairs = createPairSampler(mixed, { seed: 1 }).batch(400);
    check(mixed, pairs);
    expect(pairs.some((p) => [p.a, p.b].includes('x-left') && [p.a, p.b].includes('x-right'))).toBe(false);
  });

  it('honours positiveFraction exactly per batch and on average for single draws', () => {
    for (const fraction of [0, 0.25, 0.5, 1]) {
      const sampler = createPairSampler(items, { seed: 9, positiveFraction: fraction });
      expect(sampler.batch(16).filter((p) => p.same)).toHaveLength(16 * fraction);
      const draws = Array.from({ length: 4000 }, () => sampler.next());
      expect(draws.filter((p) => p.same).length / draws.length).toBeCloseTo(fraction, 1);
    }
    // fractional counts round at random, so a long run still averages out
    const sampler = createPairSampler(items, { seed: 2, positiveFraction: 0.3 });
    const counts = Array.from({ length: 400 }, () => sampler.batch(5).filter((p) => p.same).length);
    expect(counts.every((n) => n === 1 || n === 2)).toBe(true);
    expect(counts.reduce((a, b) => a + b, 0) / (400 * 5)).toBeCloseTo(0.3, 1);
  });

  it('is reproducible from its seed', () => {
    const first = createPairSampler(items, { seed: 5 }).batch(50);
    expect(createPairSampler(items, { seed: 5 }).batch(50)).toEqual(first);
    expect(createPairSampler(items, { seed: 6 }).batch(50)).not.toEqual(first);
  });

  it('balances grades by default, and can follow image frequency instead', () => {
    const gradeShare = (balanceLabels: boolean) => {
      const pairs = createPairSampler(items, { seed: 4, positiveFraction: 1, balanceLabels }).batch(5000);
      return pairs.filter((p) => p.a.startsWith('g0-')).length / pairs.length;
    };
    expect(gradeShare(true)).toBeCloseTo(1 / 5, 1);
    expect(gradeShare(false)).toBeCloseTo(40 / 68, 1);
  });

  it('treats images without a patient as separate patients', () => {
    const anonymous: PairItem[] = ['a', 'b', 'c', 'd'].map((id, i) => ({ id, label: i % 2 }));
    check(anonymous, createPairSampler(anonymous, { seed: 1 }).batch(100));
  });

  it('says why it cannot make the pairs asked for', () => {
    const onePatientPerGrade: PairItem[] = [
      { id: 'a', label: 0, patientId: 'P' },
      { id: 'b', label: 0, patientId: 'P' },
      { id: 'c', label: 1, patientId: 'Q' },
    ];
    expect(() => createPairSampler(onePatientPerGrade)).toThrow(
      /Cannot sample "same" pairs: no grade has images of two different patients \(grade 0: 2 images, 1 patients; grade 1: 1 images, 1 patients\)/,
    );
    expect(
      createPairSampler(onePatientPerGrade, { positiveFraction: 0 })
        .batch(4)
        .every((p) => !p.same),
    ).toBe(true);

    const oneGrade: PairItem[] = [
      { id: 'a', label: 3 },
      { id: 'b', label: 3 },
    ];
    expect(() => createPairSampler(oneGrade)).toThrow(/Cannot sample "different" pairs/);
    expect(() => createPairSampler([])).toThrow(/no images/);
    expect(() => createPairSampler(items, { positiveFraction: 1.5 })).toThrow(/positiveFraction must be in \[0, 1\]/);
    expect(() => createPairSampler([...items, { id: 'g0-0', label: 1 }])).toThrow(/Duplicate image id "g0-0"/);
  });
});
