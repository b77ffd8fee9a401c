import { Link, NavLink } from 'react-router-dom';
import { useSession } from '../api/use-session.ts';
import { ModelBar } from './model-bar.tsx';
import { UserMenu } from './user-menu.tsx';

export function AppHeader() {
  const session = useSession().data;
  const admin = session?.user.role === 'admin';
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link to="/" className="brand" aria-label="cbmir home: search similar fundus cases">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span className="brand__name">cbmir</span>
          <span className="brand__tagline">similar fundus cases</span>
        </Link>
        {session && (
          <nav aria-label="Main" className="main-nav" data-testid="main-nav">
            <NavLink to="/" end className="nav-link">
              Search
            </NavLink>
            <NavLink to="/searches" className="nav-link" data-testid="nav-my-searches">
              My searches
            </NavLink>
            <NavLink to="/evaluation" className="nav-link" data-testid="nav-evaluation">
              Evaluation
            </NavLink>
            <NavLink to="/models" className="nav-link" data-testid="nav-models">
              Models
            </NavLink>
            {/* Clinicians never see links to pages the server would refuse them. */}
            {admin && (
              // biome-ignore lint/a11y/useSemanticElements: a group of links in the nav, not form fields (a fieldset)
              <span className="main-nav__group" role="group" aria-label="Administration" data-testid="admin-nav">
                <span className="main-nav__label" aria-hidden="true">
                  Admin
                </span>
                <NavLink to="/admin/users" className="nav-link" data-testid="nav-users">
                  Users &amp; keys
                </NavLink>
                <NavLink to="/admin/archives" className="nav-link" data-testid="nav-archives">
                  Archives
                </NavLink>
                <NavLink to="/admin/audit" className="nav-link" data-testid="nav-audit">
                  Audit
                </NavLink>
              </span>
            )}
          </nav>
        )}
        <UserMenu />
      </div>
      <ModelBar />
    </header>
  );
}
