import { Link, NavLink } from 'react-router-dom';
import { useSession } from '../api/use-session.ts';
import { ModelBar } from './model-bar.tsx';
import { UserMenu } from './user-menu.tsx';

export function AppHeader() {
  const signedIn = Boolean(useSession().data);
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link to="/" className="brand" aria-label="cbmir home: search similar fundus cases">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span className="brand__name">cbmir</span>
          <span className="brand__tagline">similar fundus cases</span>
        </Link>
        {signedIn && (
          <nav aria-label="Main">
            <NavLink to="/" end className="nav-link">
              Search
            </NavLink>
          </nav>
        )}
        <UserMenu />
      </div>
      <ModelBar />
    </header>
  );
}
