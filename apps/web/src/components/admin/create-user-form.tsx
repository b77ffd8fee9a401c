import type { Role } from '@cbmir/contract';
import { useState, type FormEvent } from 'react';
import { useCreateUser } from '../../api/use-users.ts';
import { MIN_PASSWORD_LENGTH, passwordProblem, ROLE_DESCRIPTIONS, ROLES, usernameProblem } from '../../domain/accounts.ts';
import { FormField } from '../form-field.tsx';
import { ErrorMessage } from '../status-message.tsx';

export function CreateUserForm() {
  const create = useCreateUser();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [showPassword, setShowPassword] = useState(false);
  const [role, setRole] = useState<Role>('clinician');
  const [submitted, setSubmitted] = useState(false);
  const [created, setCreated] = useState<string | null>(null);

  const usernameError = submitted ? usernameProblem(username.trim()) : null;
  const passwordError = submitted ? passwordProblem(password) : null;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    setSubmitted(true);
    setCreated(null);
    if (usernameProblem(username.trim()) || passwordProblem(password)) return;
    create.mutate(
      { username: username.trim(), password, role },
      {
        onSuccess: (user) => {
          setCreated(`${user.username} (${user.role}) can now sign in.`);
          setUsername('');
          setPassword('');
          setSubmitted(false);
        },
      },
    );
  }

  return (
    <form className="panel form-panel" onSubmit={onSubmit} noValidate aria-labelledby="create-user-heading" data-testid="create-user-form">
      <h2 id="create-user-heading" className="panel__title">
        Add a user
      </h2>
      <FormField label="Username" error={usernameError} hint="Letters, digits and . _ @ -">
        {(props) => (
          <input
            {...props}
            name="username"
            autoComplete="off"
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            data-testid="new-user-username"
          />
        )}
      </FormField>
      <FormField label="Password" error={passwordError} hint={`At least ${MIN_PASSWORD_LENGTH} characters. Give it to the user privately.`}>
        {(props) => (
          <div className="input-with-button">
            <input
              {...props}
              name="new-password"
              type={showPassword ? 'text' : 'password'}
              autoComplete="new-password"
              value={password}
              onChange={(event) => setPassword(event.target.value)}
              data-testid="new-user-password"
            />
            <button type="button" className="button button--quiet" aria-pressed={showPassword} onClick={() => setShowPassword((shown) => !shown)}>
              {showPassword ? 'Hide' : 'Show'}
            </button>
          </div>
        )}
      </FormField>
      <RoleChoice name="new-user-role" value={role} onChange={setRole} />
      <div className="live-region" aria-live="polite">
        {create.isError && <ErrorMessage error={create.error} title="The user could not be created" testId="create-user-error" />}
        {created && (
          <p className="success-note" data-testid="create-user-success">
            User created: {created}
          </p>
        )}
      </div>
      <button type="submit" className="button" disabled={create.isPending} data-testid="create-user-submit">
        {create.isPending ? 'Creating…' : 'Create user'}
      </button>
    </form>
  );
}

export function RoleChoice({ name, value, onChange, legend = 'Role' }: { name: string; value: Role; onChange(role: Role): void; legend?: string }) {
  return (
    <fieldset className="choice-group">
      <legend>{legend}</legend>
      {ROLES.map((role) => (
        <label key={role} className="choice">
          <input type="radio" name={name} value={role} checked={value === role} onChange={() => onChange(role)} data-testid={`${name}-${role}`} />
          <span>
            <strong>{role}</strong> <span className="choice__hint">{ROLE_DESCRIPTIONS[role]}</span>
          </span>
        </label>
      ))}
    </fieldset>
  );
}
