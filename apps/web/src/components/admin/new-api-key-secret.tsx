import type { CreatedApiKey } from '@cbmir/contract';
import { useEffect, useRef } from 'react';
import { CopyButton } from '../copy-button.tsx';

/**
 * The key's secret, shown this once: the server keeps only its digest. Held in this component's state
 * (the mutation result) and gone when the admin dismisses it or leaves the page.
 */
export function NewApiKeySecret({ created, onDone }: { created: CreatedApiKey; onDone(): void }) {
  const inputRef = useRef<HTMLTextAreaElement>(null);
  const headingRef = useRef<HTMLHeadingElement>(null);
  useEffect(() => headingRef.current?.focus(), []);

  return (
    <section className="panel form-panel secret-panel" aria-labelledby="secret-heading" data-testid="new-key-secret">
      <h2 id="secret-heading" className="panel__title" tabIndex={-1} ref={headingRef}>
        Key “{created.apiKey.name}” issued
      </h2>
      <div className="warning-note" role="alert">
        <strong>Copy the key now.</strong> It is shown only this once and cannot be recovered; if it is lost, revoke it and issue a new one.
      </div>
      <div className="field">
        <label htmlFor="new-key-secret-value">API key ({created.apiKey.role})</label>
        {/* A textarea, so the whole key is visible and wraps instead of scrolling out of sight. */}
        <textarea
          id="new-key-secret-value"
          ref={inputRef}
          className="mono secret-input"
          readOnly
          rows={2}
          spellCheck={false}
          value={created.secret}
          onFocus={(event) => event.target.select()}
          data-testid="new-key-secret-value"
        />
      </div>
      <div className="button-row">
        <CopyButton text={created.secret} label="Copy key" fallbackTarget={() => inputRef.current} testId="copy-key" />
      </div>
      <p className="hint">
        Send it as <code>Authorization: Bearer {created.apiKey.prefix}…</code> with every request.
      </p>
      <button type="button" className="button" onClick={onDone} data-testid="secret-done">
        I have stored the key
      </button>
    </section>
  );
}
