import { drGradeName } from '../domain/dr-grade.ts';

/** DR grade as number and name; colour only reinforces the text, it never carries meaning alone. */
export function GradeBadge({ grade }: { grade: number | null }) {
  return (
    <span className="grade-badge" data-grade={grade ?? 'unknown'} data-testid="grade">
      <span className="visually-hidden">DR grade </span>
      {grade !== null && <span className="grade-badge__number">{grade} </span>}
      <span>{drGradeName(grade)}</span>
    </span>
  );
}
