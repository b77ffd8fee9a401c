import { describe, expect, it } from 'vitest';
import { splitByPatient } from './patient-split.ts';

const items = Array.from({ length: 200 }, (_, i) => ({ id: `img${i}`, patientId: `p${Math.floor(i / 2)}`, grade: Math.floor(i / 2) % 5 }));

describe('splitByPatient', () => {
  it('never splits a patient and gives validation about the asked share of every grade', () => {
    const { train, validation } = splitByPatient(items, 0.2, 1);
    const trainPatients = new Set(train.map((i) => i.patientId));
    expect(validation.some((i) => trainPatients.has(i.patientId))).toBe(false);
    expect(train.length + validation.length).toBe(items.length);
    expect(validation.length).toBe(40);
    for (let grade = 0; grade < 5; grade++) expect(validation.filter((i) => i.grade === grade)).toHaveLength(8);
  });

  it('is reproducible for a seed and differs across seeds', () => {
    const ids = (seed: number) => splitByPatient(items, 0.2, seed).validation.map((i) => i.id);
    expect(ids(3)).toEqual(ids(3));
    expect(ids(3)).not.toEqual(ids(4));
  });

  it('refuses a fraction outside [0, 1)', () => {
    expect(() => splitByPatient(items, 1, 1)).toThrow(RangeError);
  });
});
