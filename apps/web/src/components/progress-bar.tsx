/**
 * A determinate progress bar with its numbers in words beside it, so it reads without the bar.
 * With max null (total unknown yet) it shows an indeterminate stripe.
 */
export function ProgressBar({
  value,
  max,
  label,
  text,
  tone = 'accent',
  testId,
}: {
  value: number;
  max: number | null;
  label: string;
  text?: string;
  tone?: 'accent' | 'success' | 'danger' | 'muted';
  testId?: string;
}) {
  const known = max !== null && max > 0;
  const fraction = known ? Math.min(1, Math.max(0, value / max)) : 0;
  const percent = Math.round(fraction * 100);
  return (
    <div className="progress" data-testid={testId}>
      <div
        className={`progress__track progress__track--${tone}${known ? '' : ' progress__track--indeterminate'}`}
        role="progressbar"
        aria-label={label}
        aria-valuemin={0}
        aria-valuemax={known ? max : undefined}
        aria-valuenow={known ? value : undefined}
        aria-valuetext={text ?? (known ? `${percent}%` : 'starting')}
      >
        <div className="progress__fill" style={known ? { width: `${fraction * 100}%` } : undefined} />
      </div>
      <span className="progress__text" data-testid={testId ? `${testId}-text` : undefined}>
        {text ?? (known ? `${percent}%` : 'starting…')}
      </span>
    </div>
  );
}
