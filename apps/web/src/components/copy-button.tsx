import { useEffect, useState } from 'react';

/** Copies text to the clipboard and says so; falls back to selecting it where the Clipboard API is missing. */
export function CopyButton({
  text,
  label = 'Copy',
  fallbackTarget,
  testId,
}: {
  text: string;
  label?: string;
  fallbackTarget?: () => HTMLInputElement | HTMLTextAreaElement | null;
  testId?: string;
}) {
  const [state, setState] = useState<'idle' | 'copied' | 'select'>('idle');
  useEffect(() => {
    if (state !== 'copied') return;
    const timer = setTimeout(() => setState('idle'), 4000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      // Only in secure contexts (HTTPS or localhost).
      await navigator.clipboard.writeText(text);
      setState('copied');
    } catch {
      const input = fallbackTarget?.();
      input?.focus();
      input?.select();
      setState('select');
    }
  }

  return (
    <>
      <button type="button" className="button button--secondary" onClick={() => void copy()} data-testid={testId}>
        {state === 'copied' ? 'Copied ✓' : label}
      </button>
      <span className="visually-hidden" aria-live="polite">
        {state === 'copied' ? 'Copied to the clipboard' : state === 'select' ? 'Selected: press Ctrl+C to copy' : ''}
      </span>
      {state === 'select' && <span className="hint">Selected: press Ctrl+C (⌘C) to copy.</span>}
    </>
  );
}
