import type { SearchFilters } from '@cbmir/contract';
import { useEffect, useId, useState, type FormEvent } from 'react';
import { drGradeName } from '../domain/dr-grade.ts';
import { activeFilterCount, filterProblem, GRADE_CHOICES, gradeFilterText, gradesOf } from '../domain/search-filter-params.ts';

const EYES = [
  { value: undefined, label: 'Any' },
  { value: 'right', label: 'Right (OD)' },
  { value: 'left', label: 'Left (OS)' },
  { value: 'unknown', label: 'Unknown' },
] as const;

/**
 * Which indexed cases the search may return. Choices apply at once; the text fields when they lose focus
 * or on Enter. The filters live in the URL, so the page can be shared or bookmarked with them.
 */
export function SearchFilterPanel({ filters, onChange }: { filters: SearchFilters; onChange(filters: SearchFilters): void }) {
  const problemId = useId();
  const grades = gradesOf(filters);
  const problem = filterProblem(filters);
  const count = activeFilterCount(filters);
  const [source, setSource] = useState(filters.source ?? '');
  const [patient, setPatient] = useState(filters.excludePatient ?? '');
  useEffect(() => setSource(filters.source ?? ''), [filters.source]);
  useEffect(() => setPatient(filters.excludePatient ?? ''), [filters.excludePatient]);

  const set = (name: keyof SearchFilters, value: string | undefined) => {
    const next = { ...filters };
    if (value === undefined || value.trim() === '') delete next[name];
    else next[name] = value.trim();
    onChange(next);
  };
  const toggleGrade = (grade: number | null) => {
    const next = new Set(grades);
    if (next.has(grade)) next.delete(grade);
    else next.add(grade);
    set('grade', gradeFilterText(next));
  };
  const commitText = (event?: FormEvent) => {
    event?.preventDefault();
    if ((filters.source ?? '') !== source.trim() || (filters.excludePatient ?? '') !== patient.trim()) {
      const next = { ...filters, source: source.trim() || undefined, excludePatient: patient.trim() || undefined };
      onChange(Object.fromEntries(Object.entries(next).filter(([, v]) => v !== undefined)) as SearchFilters);
    }
  };

  return (
    <details className="filter-panel" open={count > 0 || undefined} data-testid="filter-panel">
      <summary>
        Filters
        {count > 0 && (
          <span className="filter-panel__count" data-testid="filter-count">
            {' '}
            · {count} active
          </span>
        )}
      </summary>
      <form className="filter-panel__form" onSubmit={commitText} aria-describedby={problem ? problemId : undefined}>
        <fieldset className="filter-panel__group">
          <legend>DR grade</legend>
          <div className="filter-panel__choices">
            {GRADE_CHOICES.map((grade) => {
              const checked = grades.has(grade);
              return (
                <label key={String(grade)} className="filter-chip">
                  <input
                    type="checkbox"
                    checked={checked}
                    // At least one grade stays chosen: an empty set would search nothing.
                    disabled={checked && grades.size === 1}
                    onChange={() => toggleGrade(grade)}
                    data-testid={`filter-grade-${grade ?? 'unknown'}`}
                  />
                  <span>{grade === null ? 'Unknown' : `${grade} ${drGradeName(grade)}`}</span>
                </label>
              );
            })}
          </div>
        </fieldset>
        <fieldset className="filter-panel__group">
          <legend>Eye</legend>
          <div className="filter-panel__choices">
            {EYES.map((eye) => (
              <label key={eye.label} className="filter-chip">
                <input
                  type="radio"
                  name="filter-eye"
                  checked={filters.eye === eye.value}
                  onChange={() => set('eye', eye.value)}
                  data-testid={`filter-eye-${eye.value ?? 'any'}`}
                />
                <span>{eye.label}</span>
              </label>
            ))}
          </div>
        </fieldset>
        <div className="filter-panel__row">
          <label className="filter-panel__field">
            <span>Ingested from</span>
            <input type="date" value={filters.ingestedFrom ?? ''} onChange={(e) => set('ingestedFrom', e.target.value)} data-testid="filter-from" />
          </label>
          <label className="filter-panel__field">
            <span>to</span>
            <input type="date" value={filters.ingestedTo ?? ''} onChange={(e) => set('ingestedTo', e.target.value)} data-testid="filter-to" />
          </label>
        </div>
        <label className="filter-panel__field">
          <span>Source (archive or dataset)</span>
          <input type="text" value={source} onChange={(e) => setSource(e.target.value)} onBlur={() => commitText()} data-testid="filter-source" />
        </label>
        <label className="filter-panel__field">
          <span>Leave out patient</span>
          <input type="text" value={patient} onChange={(e) => setPatient(e.target.value)} onBlur={() => commitText()} data-testid="filter-patient" />
        </label>
        {problem && (
          <p className="filter-panel__problem" role="alert" id={problemId} data-testid="filter-problem">
            {problem}. Correct the filter to search.
          </p>
        )}
        <div className="filter-panel__actions">
          <button type="submit" className="button button--secondary" data-testid="filter-apply">
            Apply
          </button>
          <button type="button" className="button button--secondary" disabled={count === 0} onClick={() => onChange({})} data-testid="filter-clear">
            Clear filters
          </button>
        </div>
      </form>
    </details>
  );
}
