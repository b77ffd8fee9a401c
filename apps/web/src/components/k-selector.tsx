import { K_OPTIONS, type KOption } from '../api/search-session.tsx';

/** How many similar cases to retrieve, as a segmented radio group (arrow keys move between options). */
export function KSelector({ value, onChange }: { value: KOption; onChange(k: KOption): void }) {
  return (
    <fieldset className="k-selector" data-testid="k-selector">
      <legend>Similar cases to show</legend>
      <div className="k-selector__options">
        {K_OPTIONS.map((k) => (
          <label key={k} className="k-selector__option">
            <input type="radio" name="k" value={k} checked={value === k} onChange={() => onChange(k)} data-testid={`k-${k}`} />
            <span>{k}</span>
          </label>
        ))}
      </div>
    </fieldset>
  );
}
