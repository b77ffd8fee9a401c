import { useState } from 'react';

/** Long lists the server sends whole (users, API keys): show a page at a time, more on request. */
export function usePagedList<T>(items: T[], pageSize: number) {
  const [shown, setShown] = useState(pageSize);
  return { visible: items.slice(0, shown), total: items.length, more: () => setShown((n) => n + pageSize), pageSize };
}

export function ShowMore<T>({ paged, noun }: { paged: ReturnType<typeof usePagedList<T>>; noun: string }) {
  const hidden = paged.total - paged.visible.length;
  if (hidden <= 0) return null;
  return (
    <div className="table-panel__more">
      <span className="hint">
        Showing {paged.visible.length} of {paged.total} {noun}
      </span>
      <button type="button" className="button button--secondary" onClick={paged.more} data-testid="show-more">
        Show {Math.min(hidden, paged.pageSize)} more
      </button>
    </div>
  );
}
