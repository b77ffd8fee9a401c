import { createRandom } from '@cbmir/seeded-random';

/**
 * Splits items into training and validation by patient, never across one: both eyes of a patient land
 * on the same side, so validation measures retrieval of unseen patients. Seeded; the validation side
 * gets about `validationFraction` of the items, with every grade's patients shuffled separately so each
 * grade is represented on both sides where it can be.
 */
export function splitByPatient<T extends { patientId: string; grade: number }>(
  items: readonly T[],
  validationFraction: number,
  seed: number,
): { train: T[]; validation: T[] } {
  if (!(validationFraction >= 0 && validationFraction < 1)) throw new RangeError(`validationFraction must be in [0, 1), got ${validationFraction}`);
  const patients = new Map<string, T[]>();
  for (const item of items) patients.set(item.patientId, [...(patients.get(item.patientId) ?? []), item]);
  // Stratify by each patient's worst grade (the clinically decisive one).
  const byGrade = new Map<number, string[]>();
  for (const [patient, own] of patients) {
    const grade = Math.max(...own.map((i) => i.grade));
    byGrade.set(grade, [...(byGrade.get(grade) ?? []), patient]);
  }
  const random = createRandom(seed);
  const validationPatients = new Set<string>();
  for (const grade of [...byGrade.keys()].sort()) {
    const group = random.shuffle([...byGrade.get(grade)!].sort());
    const take = Math.round(group.length * validationFraction);
    for (const patient of group.slice(0, take)) validationPatients.add(patient);
  }
  return {
    train: items.filter((i) => !validationPatients.has(i.patientId)),
    validation: items.filter((i) => validationPatients.has(i.patientId)),
  };
}
