import { useNavigate } from 'react-router-dom';
import { useLogout, useSession } from '../api/use-session.ts';

export function UserMenu() {
  const { data: session } = useSession();
  const logout = useLogout();
  const navigate = useNavigate();
  if (!session) return null;
  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="user-menu__name">
        <span className="visually-hidden">Signed in as </span>
        <strong data-testid="user-name">{session.user.username}</strong>{' '}
        <span className="user-menu__role">{session.user.role}</span>
      </span>
      <button
        type="button"
        className="button button--quiet"
        disabled={logout.isPending}
        onClick={() => logout.mutate(undefined, { onSettled: () => navigate('/login', { replace: true }) })}
        data-testid="logout"
      >
        Sign out
      </button>
    </div>
  );
}
