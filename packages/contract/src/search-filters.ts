import { Type, type Static } from 'typebox';

/**
 * Filters that narrow a k-NN search, as query parameters (and in the vector search's body). The same
 * text form serves the API, the typed client and the web app's URL, so a filtered search can be shared.
 */
export const SearchFilterFields = {
  grade: Type.Optional(
    Type.String({
      maxLength: 100,
      pattern: '^[^,]+(,[^,]+)*$',
      description: 'DR grades to keep, comma-separated: single grades, ranges and `unknown`, e.g. `2-4`, `0,1`, `3-4,unknown`',
      examples: ['2-4', '0,1,unknown'],
    }),
  ),
  eye: Type.Optional(Type.String({ maxLength: 30, description: 'Eyes to keep, comma-separated: `left`, `right`, `unknown`', examples: ['right'] })),
  source: Type.Optional(Type.String({ minLength: 1, maxLength: 200, description: 'Only images of this source (dataset, archive, `demo`)' })),
  ingestedFrom: Type.Optional(
    Type.String({ maxLength: 40, description: 'Only images ingested on or after this date (`YYYY-MM-DD`, UTC) or instant (ISO 8601)' }),
  ),
  ingestedTo: Type.Optional(
    Type.String({ maxLength: 40, description: 'Only images ingested on or before this date (the whole day, UTC) or up to this instant' }),
  ),
  excludePatient: Type.Optional(
    Type.String({ minLength: 1, maxLength: 200, description: 'Leave out every image of this patient reference (e.g. the query’s own patient)' }),
  ),
};

export const SearchFilters = Type.Object(SearchFilterFields, { additionalProperties: false });
export type SearchFilters = Static<typeof SearchFilters>;

export const SEARCH_FILTER_NAMES = Object.keys(SearchFilterFields) as (keyof SearchFilters)[];

export type FilterEye = 'left' | 'right' | null;

/** The filters as values, checked; `null` members stand for "unknown". */
export interface ParsedSearchFilters {
  grades?: (number | null)[];
  eyes?: FilterEye[];
  source?: string;
  ingestedFrom?: Date;
  /** Exclusive. */
  ingestedBefore?: Date;
  excludePatientRef?: string;
}

export class SearchFilterError extends Error {
  override name = 'SearchFilterError';
}

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const INSTANT = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

function parseGrades(text: string): (number | null)[] {
  const grades = new Set<number | null>();
  for (const raw of text.split(',')) {
    const part = raw.trim().toLowerCase();
    if (part === 'unknown') {
      grades.add(null);
      continue;
    }
    const range = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!range) throw new SearchFilterError(`grade: "${raw}" is not a grade (0-4), a range like 2-4, or "unknown"`);
    const low = Number(range[1]);
    const high = range[2] === undefined ? low : Number(range[2]);
    if (low > 4 || high > 4) throw new SearchFilterError(`grade: ${part} is outside the DR scale 0-4`);
    if (low > high) throw new SearchFilterError(`grade: the range ${part} runs backwards; write ${high}-${low}`);
    for (let grade = low; grade <= high; grade++) grades.add(grade);
  }
  return [...grades];
}

function parseEyes(text: string): FilterEye[] {
  const eyes = new Set<FilterEye>();
  for (const raw of text.split(',')) {
    const part = raw.trim().toLowerCase();
    if (part === 'left' || part === 'right') eyes.add(part);
    else if (part === 'unknown') eyes.add(null);
    else throw new SearchFilterError(`eye: "${raw}" is not left, right or unknown`);
  }
  return [...eyes];
}

/** A date is the whole day (UTC): as a start, its midnight; as an end, the next midnight. */
function parseInstant(name: string, text: string, end: boolean): Date {
  if (DATE.test(text)) {
    const day = new Date(`${text}T00:00:00Z`);
    if (Number.isNaN(day.getTime()) || day.toISOString().slice(0, 10) !== text) throw new SearchFilterError(`${name}: ${text} is not a calendar date`);
    return end ? new Date(day.getTime() + 86_400_000) : day;
  }
  const instant = new Date(text);
  if (!INSTANT.test(text) || Number.isNaN(instant.getTime())) {
    throw new SearchFilterError(`${name}: "${text}" is not a date (YYYY-MM-DD) or an ISO 8601 date-time`);
  }
  return end ? new Date(instant.getTime() + 1) : instant;
}

/** Checks the filters and turns them into values; a SearchFilterError says what is wrong, for a person. */
export function parseSearchFilters(filters: SearchFilters): ParsedSearchFilters {
  const parsed: ParsedSearchFilters = {};
  if (filters.grade !== undefined) parsed.grades = parseGrades(filters.grade);
  if (filters.eye !== undefined) parsed.eyes = parseEyes(filters.eye);
  if (filters.source !== undefined) parsed.source = filters.source;
  if (filters.ingestedFrom !== undefined) parsed.ingestedFrom = parseInstant('ingestedFrom', filters.ingestedFrom, false);
  if (filters.ingestedTo !== undefined) parsed.ingestedBefore = parseInstant('ingestedTo', filters.ingestedTo, true);
  if (parsed.ingestedFrom && parsed.ingestedBefore && parsed.ingestedFrom >= parsed.ingestedBefore) {
    throw new SearchFilterError(`ingestedFrom (${filters.ingestedFrom}) is after ingestedTo (${filters.ingestedTo}): no image can be in both`);
  }
  if (filters.excludePatient !== undefined) parsed.excludePatientRef = filters.excludePatient;
  return parsed;
}

/** Just the filter fields of a larger query object, dropping empty ones. */
export function pickSearchFilters(query: Partial<Record<string, unknown>>): SearchFilters {
  const filters: SearchFilters = {};
  for (const name of SEARCH_FILTER_NAMES) {
    const value = query[name];
    if (typeof value === 'string' && value.trim() !== '') filters[name] = value.trim();
  }
  return filters;
}
