import { describe, expect, it } from 'vitest';
import { describeFilters } from './search-history.ts';

describe('describeFilters', () => {
  it('names each filter of a search in a line, without the patient reference', () => {
    expect(describeFilters({})).toBe('no filters');
    expect(describeFilters({ grade: '2-4', eye: 'right', excludePatient: 'dicom-abc' })).toBe('grade 2-4 · eye right · patient left out');
  });
});
