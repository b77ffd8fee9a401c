import { describe, expect, it } from 'vitest';
import { filterProblem, filtersFromUrl, filtersToUrl, gradeFilterText, gradesOf, matchingText } from './search-filter-params.ts';

describe('search filters in the URL', () => {
  it('round-trips through the query string and keeps other parameters', () => {
    const url = filtersToUrl(new URLSearchParams('tab=1&grade=0'), { grade: '2-4', eye: 'right' });
    expect(url.toString()).toBe('tab=1&grade=2-4&eye=right');
    expect(filtersFromUrl(url)).toEqual({ grade: '2-4', eye: 'right' });
    expect(filtersToUrl(url, {}).toString()).toBe('tab=1');
  });

  it('writes chosen grades compactly and reads them back', () => {
    expect(gradeFilterText(new Set([2, 3, 4, null]))).toBe('2-4,unknown');
    expect(gradeFilterText(new Set([0, 2, 3]))).toBe('0,2-3');
    expect(gradeFilterText(new Set([0, 1, 2, 3, 4, null]))).toBeUndefined();
    expect([...gradesOf({ grade: '1,3-4' })].sort()).toEqual([1, 3, 4]);
  });

  it('says what is wrong with a filter', () => {
    expect(filterProblem({ grade: '2-4' })).toBeNull();
    expect(filterProblem({ grade: '9' })).toMatch(/0-4/);
  });
});

describe('matchingText', () => {
  it('says how many cases pass the filters, and "more than" where the server stopped counting', () => {
    expect(matchingText(1, false)).toBe('the 1 indexed case');
    expect(matchingText(3, false)).toBe('the 3 indexed cases');
    expect(matchingText(10_000, false)).toBe('the 10,000 indexed cases');
    expect(matchingText(10_000, true)).toBe('more than 10,000 indexed cases');
  });
});
