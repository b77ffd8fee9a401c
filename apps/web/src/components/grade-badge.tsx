import { drGradeName } from '../domain/dr-grade.ts';

/** DR grade as number and name; colour only reinforces the text, it never carries meaning alone. */
export function GradeBadge({ grade }: { grade: number | null }) {
  const tone = grade === null ? 'unknown' : String(grade);
  return (
    <span className="grade-badge" data-grade={tone} data-testid="grade">
      {grade === null ? (
        <>DR grade unknown</>
      ) : (
        <>
          <span className="grade-badge__number" aria-hidden="true">
            {grade}
          </span>
          <span className="visually-hidden">DR grade {grade}: </span>
          {drGradeName(grade)}
        </>
      )}
    </span>
  );
}
