import type { SearchFilters, SearchResponse } from '@cbmir/contract';
import { useMutation } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useState } from 'react';
import { useApiClient } from './api-client.tsx';

export type Mark = 'liked' | 'disliked';

/** One refine step: the marks it was made with and what came back. */
interface RefineStep {
  marks: Map<string, Mark>;
  response: SearchResponse;
}

export interface Refinement {
  /** What to show: the latest step's results, or the search's own before any step. */
  response: SearchResponse | undefined;
  /** Whether this search can be refined by example (it came back with its query's embedding). */
  available: boolean;
  marks: Map<string, Mark>;
  /** Mark a case (again: unmark it). */
  toggle(imageId: string, mark: Mark): void;
  /** Re-rank with every mark so far; a new step. */
  refine(): void;
  /** Back to the step before (its marks and results). */
  undo(): void;
  steps: number;
  /** Marks differ from those of the results shown: refining would change something. */
  changed: boolean;
  pending: boolean;
  error: Error | null;
}

const key = (marks: Map<string, Mark>) =>
  [...marks]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([id, mark]) => `${id}:${mark}`)
    .join(',');

/**
 * Refine by example ("more like this" / "less like this"): each step sends the original query's embedding and every
 * mark so far to the server (Rocchio), so undoing a step is going back to the previous one. A new search (another
 * photograph, k, filters or region) starts over.
 */
export function useRefine(base: SearchResponse | undefined, k: number, filters: SearchFilters): Refinement {
  const client = useApiClient();
  const [steps, setSteps] = useState<RefineStep[]>([]);
  const [marks, setMarks] = useState<Map<string, Mark>>(new Map());
  const mutation = useMutation<SearchResponse, Error, Map<string, Mark>>({
    mutationFn: (sent) =>
      client.refineSearch({
        vector: base!.queryVector!,
        liked: [...sent].filter(([, mark]) => mark === 'liked').map(([id]) => id),
        disliked: [...sent].filter(([, mark]) => mark === 'disliked').map(([id]) => id),
        k,
        filters,
      }),
  });
  const { reset } = mutation;

  useEffect(() => {
    setSteps([]);
    setMarks(new Map());
    reset();
  }, [base, reset]);

  const toggle = useCallback((imageId: string, mark: Mark) => {
    setMarks((current) => {
      const next = new Map(current);
      if (next.get(imageId) === mark) next.delete(imageId);
      else next.set(imageId, mark);
      return next;
    });
  }, []);

  const { mutate } = mutation;
  const refine = useCallback(() => {
    const sent = new Map(marks);
    mutate(sent, { onSuccess: (response) => setSteps((current) => [...current, { marks: sent, response }]) });
  }, [marks, mutate]);

  const undo = useCallback(() => {
    setSteps((current) => {
      const previous = current.slice(0, -1);
      setMarks(new Map(previous.at(-1)?.marks ?? []));
      return previous;
    });
    reset();
  }, [reset]);

  const latest = steps.at(-1);
  return useMemo(
    () => ({
      response: latest?.response ?? base,
      available: base?.queryVector !== undefined,
      marks,
      toggle,
      refine,
      undo,
      steps: steps.length,
      changed: marks.size > 0 && key(marks) !== key(latest?.marks ?? new Map()),
      pending: mutation.isPending,
      error: mutation.error,
    }),
    [latest, base, marks, toggle, refine, undo, steps.length, mutation.isPending, mutation.error],
  );
}
