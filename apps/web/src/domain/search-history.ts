import { SEARCH_FILTER_NAMES, type SearchFilters } from '@cbmir/contract';

const LABELS: Record<(typeof SEARCH_FILTER_NAMES)[number], string> = {
  grade: 'grade',
  eye: 'eye',
  source: 'source',
  ingestedFrom: 'ingested from',
  ingestedTo: 'ingested to',
  excludePatient: 'patient left out',
};

/** "grade 2-4 · eye right", or "no filters": a search's filters in a line. */
export function describeFilters(filters: SearchFilters): string {
  const parts = SEARCH_FILTER_NAMES.filter((name) => filters[name] !== undefined).map((name) =>
    name === 'excludePatient' ? LABELS[name] : `${LABELS[name]} ${filters[name]}`,
  );
  return parts.length === 0 ? 'no filters' : parts.join(' · ');
}
