import { useLogout, useSession } from '../api/use-session.ts';

/** Who is signed in, and the way out. Signing out lands on the sign-in page via RequireSession. */
export function UserMenu() {
  const { data: session } = useSession();
  const logout = useLogout();
  if (!session) return null;
  return (
    <div className="user-menu" data-testid="user-menu">
      <span className="user-menu__name">
        <span className="visually-hidden">Signed in as </span>
        <strong data-testid="user-name">{session.user.username}</strong> <span className="user-menu__role">{session.user.role}</span>
      </span>
      <button type="button" className="button button--quiet" disabled={logout.isPending} onClick={() => logout.mutate()} data-testid="logout">
        Sign out
      </button>
    </div>
  );
}
