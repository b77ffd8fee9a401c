import { Link } from 'react-router-dom';
import { useSession } from '../api/use-session.ts';

/** What a signed-in user without the admin role sees on an admin page, instead of a broken one. */
export function ForbiddenNotice() {
  const user = useSession().data?.user;
  return (
    <div className="panel notice-panel" role="alert" data-testid="forbidden">
      <h1 className="panel__title">You need the admin role</h1>
      <p>
        This page is for administrators.{' '}
        {user && (
          <>
            You are signed in as <strong>{user.username}</strong> with the <strong>{user.role}</strong> role.{' '}
          </>
        )}
        Ask an administrator if you need access.
      </p>
      <p>
        <Link to="/">Search for similar cases</Link> · <Link to="/evaluation">See how well the model retrieves</Link>
      </p>
    </div>
  );
}
