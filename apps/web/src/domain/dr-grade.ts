/** International clinical diabetic retinopathy severity scale, as used by the EyePACS / APTOS gradings. */
export const DR_GRADE_NAMES = ['No DR', 'Mild', 'Moderate', 'Severe', 'Proliferative'] as const;

/** "2 · Moderate"; "unknown" when the case was never graded. */
export function drGradeLabel(grade: number | null): string {
  if (grade === null) return 'unknown';
  const name = DR_GRADE_NAMES[grade];
  return name === undefined ? `grade ${grade}` : `${grade} · ${name}`;
}

export function drGradeName(grade: number | null): string {
  if (grade === null) return 'unknown';
  return DR_GRADE_NAMES[grade] ?? `grade ${grade}`;
}
