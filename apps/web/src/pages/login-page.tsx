import { ApiError } from '@cbmir/contract';
import { useEffect, useState, type FormEvent } from 'react';
import { Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { useLogin, useSession } from '../api/use-session.ts';
import { ErrorMessage } from '../components/status-message.tsx';

export function LoginPage() {
  const session = useSession();
  const login = useLogin();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const next = safeNext(params.get('next'));

  useEffect(() => {
    document.title = 'Sign in · cbmir';
  }, []);

  if (session.data) return <Navigate to={next} replace />;

  function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    login.mutate({ username: username.trim(), password }, { onSuccess: () => navigate(next, { replace: true }) });
  }

  return (
    <div className="login-layout">
      <form className="panel login-panel" onSubmit={onSubmit} aria-labelledby="login-heading" data-testid="login-form">
        <h1 id="login-heading" className="panel__title">
          Sign in
        </h1>
        <p className="panel__intro">cbmir holds patient photographs. Sign in with the account your administrator gave you.</p>
        <div className="field">
          <label htmlFor="login-username">Username</label>
          <input
            id="login-username"
            name="username"
            autoComplete="username"
            required
            // biome-ignore lint/a11y/noAutofocus: the sign-in page has one task; the cursor starts where it begins
            autoFocus
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            data-testid="login-username"
          />
        </div>
        <div className="field">
          <label htmlFor="login-password">Password</label>
          <input
            id="login-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            data-testid="login-password"
          />
        </div>
        <div className="live-region" aria-live="polite">
          {login.isError && <ErrorMessage error={login.error} title={loginErrorTitle(login.error)} testId="login-error" />}
        </div>
        <button type="submit" className="button" disabled={login.isPending} data-testid="login-submit">
          {login.isPending ? 'Signing in…' : 'Sign in'}
        </button>
      </form>
    </div>
  );
}

function loginErrorTitle(error: Error): string {
  if (error instanceof ApiError && error.status === 429) return 'Too many attempts';
  return 'Sign-in failed';
}

/** Only ever return to a path in this app, never to another site named in the link. */
function safeNext(next: string | null): string {
  return next?.startsWith('/') && !next.startsWith('//') ? next : '/';
}
