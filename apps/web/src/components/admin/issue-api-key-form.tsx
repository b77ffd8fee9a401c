import type { Role } from '@cbmir/contract';
import { useState, type FormEvent } from 'react';
import { useCreateApiKey } from '../../api/use-api-keys.ts';
import { FormField } from '../form-field.tsx';
import { ErrorMessage } from '../status-message.tsx';
import { RoleChoice } from './create-user-form.tsx';
import { NewApiKeySecret } from './new-api-key-secret.tsx';

/** yyyy-mm-dd of a date in local time, for <input type="date">'s min. */
const localDate = (date: Date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, '0')}-${String(date.getDate()).padStart(2, '0')}`;

export function IssueApiKeyForm() {
  const issue = useCreateApiKey();
  const [name, setName] = useState('');
  const [role, setRole] = useState<Role>('clinician');
  const [expires, setExpires] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const tomorrow = localDate(new Date(Date.now() + 86_400_000));

  const nameError = submitted && name.trim().length === 0 ? 'Name the key after what uses it, e.g. “PACS bridge”.' : null;
  const expiresError = submitted && expires !== '' && expires < tomorrow ? 'Choose a day after today, or leave it empty.' : null;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (name.trim().length === 0 || (expires !== '' && expires < tomorrow)) return;
    // The key works through the whole chosen day, in the admin's time zone.
    const expiresAt = expires ? new Date(`${expires}T23:59:59`).toISOString() : null;
    issue.mutate(
      { name: name.trim(), role, expiresAt },
      {
        onSuccess: () => {
          setName('');
          setExpires('');
          setSubmitted(false);
        },
      },
    );
  }

  if (issue.isSuccess) return <NewApiKeySecret created={issue.data} onDone={() => issue.reset()} />;

  return (
    <form className="panel form-panel" onSubmit={onSubmit} noValidate aria-labelledby="issue-key-heading" data-testid="issue-key-form">
      <h2 id="issue-key-heading" className="panel__title">
        Issue an API key
      </h2>
      <FormField label="Name" error={nameError} hint="What or who uses it, so it can be told apart later.">
        {(props) => (
          <input
            {...props}
            name="key-name"
            autoComplete="off"
            maxLength={100}
            value={name}
            onChange={(event) => setName(event.target.value)}
            data-testid="new-key-name"
          />
        )}
      </FormField>
      <RoleChoice name="new-key-role" value={role} onChange={setRole} />
      <FormField label="Expires after (optional)" error={expiresError} hint="Empty: the key works until it is revoked.">
        {(props) => (
          <input {...props} type="date" min={tomorrow} value={expires} onChange={(event) => setExpires(event.target.value)} data-testid="new-key-expires" />
        )}
      </FormField>
      <div className="live-region" aria-live="polite">
        {issue.isError && <ErrorMessage error={issue.error} title="The key could not be issued" testId="issue-key-error" />}
      </div>
      <button type="submit" className="button" disabled={issue.isPending} data-testid="issue-key-submit">
        {issue.isPending ? 'Issuing…' : 'Issue key'}
      </button>
    </form>
  );
}
