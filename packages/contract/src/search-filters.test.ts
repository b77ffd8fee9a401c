import { describe, expect, it } from 'vitest';
import { parseSearchFilters, pickSearchFilters } from './search-filters.ts';

describe('search filters', () => {
  it('reads grade sets, ranges and unknown, eyes, and whole-day date ranges', () => {
    expect(parseSearchFilters({ grade: '3-4,unknown,0' }).grades).toEqual([3, 4, null, 0]);
    expect(parseSearchFilters({ eye: 'Right,unknown' }).eyes).toEqual(['right', null]);
    const days = parseSearchFilters({ ingestedFrom: '2026-03-01', ingestedTo: '2026-03-01' });
    expect(days.ingestedFrom!.toISOString()).toBe('2026-03-01T00:00:00.000Z');
    expect(days.ingestedBefore!.toISOString()).toBe('2026-03-02T00:00:00.000Z');
    expect(parseSearchFilters({ excludePatient: 'p1', source: 'demo' })).toEqual({ excludePatientRef: 'p1', source: 'demo' });
  });

  it('refuses unknown and contradictory values with a message that says what to change', () => {
    expect(() => parseSearchFilters({ grade: '4-2' })).toThrow(/runs backwards; write 2-4/);
    expect(() => parseSearchFilters({ grade: '5' })).toThrow(/outside the DR scale 0-4/);
    expect(() => parseSearchFilters({ grade: 'severe' })).toThrow(/not a grade/);
    expect(() => parseSearchFilters({ eye: 'both' })).toThrow(/left, right or unknown/);
    expect(() => parseSearchFilters({ ingestedFrom: '2026-02-30' })).toThrow(/not a calendar date/);
    expect(() => parseSearchFilters({ ingestedTo: 'last week' })).toThrow(/not a date/);
    expect(() => parseSearchFilters({ ingestedFrom: '2026-05-02', ingestedTo: '2026-05-01' })).toThrow(/after ingestedTo/);
  });

  it('picks the filter fields of a query, without blanks', () => {
    expect(pickSearchFilters({ k: 10, grade: ' 2-4 ', eye: '', other: 'x' })).toEqual({ grade: '2-4' });
  });
});
