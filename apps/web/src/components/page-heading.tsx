import { useEffect, type ReactNode } from 'react';

/** The page's h1, its one-line purpose, and the document title. */
export function PageHeading({ title, intro, actions }: { title: string; intro?: ReactNode; actions?: ReactNode }) {
  useEffect(() => {
    document.title = `${title} · cbmir`;
  }, [title]);
  return (
    <div className="page-heading">
      <div>
        <h1 className="page-heading__title">{title}</h1>
        {intro && <p className="page-heading__intro">{intro}</p>}
      </div>
      {actions && <div className="page-heading__actions">{actions}</div>}
    </div>
  );
}
