import { parseSearchFilters, pickSearchFilters, SEARCH_FILTER_NAMES, SearchFilterError, type SearchFilters } from '@cbmir/contract';
import { formatCount } from './format.ts';

/** The search filters held in the page's URL (?grade=2-4&eye=right...), so a filtered search can be shared. */
export function filtersFromUrl(params: URLSearchParams): SearchFilters {
  return pickSearchFilters(Object.fromEntries(params));
}

/** The URL's parameters with the filters replaced (others, if any, kept). */
export function filtersToUrl(params: URLSearchParams, filters: SearchFilters): URLSearchParams {
  const next = new URLSearchParams(params);
  for (const name of SEARCH_FILTER_NAMES) {
    const value = filters[name];
    if (value === undefined || value === '') next.delete(name);
    else next.set(name, value);
  }
  return next;
}

/** One key per distinct set of filters, for comparing and caching. */
export function filtersKey(filters: SearchFilters): string {
  return SEARCH_FILTER_NAMES.map((name) => `${name}=${filters[name] ?? ''}`).join('&');
}

/** What is wrong with the filters, in the server's words, or null when they are fine. */
export function filterProblem(filters: SearchFilters): string | null {
  try {
    parseSearchFilters(filters);
    return null;
  } catch (error) {
    if (error instanceof SearchFilterError) return error.message;
    throw error;
  }
}

export const GRADE_CHOICES = [0, 1, 2, 3, 4, null] as const;

/** The grades a `grade` filter keeps (null: unknown); every choice when the filter is absent or unreadable. */
export function gradesOf(filters: SearchFilters): Set<number | null> {
  if (filters.grade === undefined) return new Set(GRADE_CHOICES);
  try {
    return new Set(parseSearchFilters({ grade: filters.grade }).grades);
  } catch {
    return new Set(GRADE_CHOICES);
  }
}

/** A set of grades as the filter's text: runs of two or more become ranges ("2-4,unknown"); all: no filter. */
export function gradeFilterText(grades: Set<number | null>): string | undefined {
  if (GRADE_CHOICES.every((grade) => grades.has(grade))) return undefined;
  const known = [0, 1, 2, 3, 4].filter((grade) => grades.has(grade));
  const parts: string[] = [];
  for (let i = 0; i < known.length; ) {
    let j = i;
    while (j + 1 < known.length && known[j + 1] === known[j]! + 1) j++;
    parts.push(j > i ? `${known[i]}-${known[j]}` : String(known[i]));
    i = j + 1;
  }
  if (grades.has(null)) parts.push('unknown');
  return parts.join(',');
}

export function activeFilterCount(filters: SearchFilters): number {
  return SEARCH_FILTER_NAMES.filter((name) => filters[name] !== undefined).length;
}

/** How many indexed cases pass a search's filters, as the results line says it (the server counts up to 10,000). */
export function matchingText(matching: number, capped: boolean): string {
  if (capped) return `more than ${formatCount(matching)} indexed cases`;
  return `the ${formatCount(matching)} indexed ${matching === 1 ? 'case' : 'cases'}`;
}
