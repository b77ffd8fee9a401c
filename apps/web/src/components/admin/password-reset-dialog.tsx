import type { User } from '@cbmir/contract';
import { useEffect, useId, useRef, useState, type FormEvent } from 'react';
import { useUpdateUser } from '../../api/use-users.ts';
import { MIN_PASSWORD_LENGTH, passwordProblem } from '../../domain/accounts.ts';
import { FormField } from '../form-field.tsx';
import { ErrorMessage } from '../status-message.tsx';

/** Sets a new password for a user (PATCH /users/:id); the server ends that user's sessions. */
export function PasswordResetDialog({ user, self, onClose }: { user: User; self: boolean; onClose(done: boolean): void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const update = useUpdateUser();
  const [password, setPassword] = useState('');
  const [submitted, setSubmitted] = useState(false);
  const error = submitted ? passwordProblem(password) : null;

  useEffect(() => {
    ref.current?.showModal();
  }, []);

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    if (passwordProblem(password)) return;
    update.mutate({ id: user.id, changes: { password } }, { onSuccess: () => onClose(true) });
  }

  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby={titleId}
      data-testid="password-dialog"
      onCancel={(event) => {
        event.preventDefault();
        onClose(false);
      }}
    >
      <form onSubmit={onSubmit} noValidate>
        <h2 id={titleId} className="dialog__title">
          New password for {user.username}
        </h2>
        <div className="dialog__body">
          <p>
            {self
              ? 'You will be signed out here and must sign in again with the new password.'
              : `${user.username} is signed out everywhere and signs in with the new password.`}
          </p>
          <FormField label="New password" error={error} hint={`At least ${MIN_PASSWORD_LENGTH} characters.`}>
            {(props) => (
              <input
                {...props}
                type="password"
                autoComplete="new-password"
                autoFocus
                value={password}
                onChange={(event) => setPassword(event.target.value)}
                data-testid="password-dialog-input"
              />
            )}
          </FormField>
          {update.isError && <ErrorMessage error={update.error} title="The password was not changed" />}
        </div>
        <div className="dialog__actions">
          <button type="button" className="button button--secondary" onClick={() => onClose(false)}>
            Cancel
          </button>
          <button type="submit" className="button" disabled={update.isPending} data-testid="password-dialog-submit">
            {update.isPending ? 'Saving…' : 'Set password'}
          </button>
        </div>
      </form>
    </dialog>
  );
}
