import { Link, NavLink } from 'react-router-dom';
import { ModelStatus } from './model-status.tsx';
import { UntrainedModelNotice } from './untrained-model-notice.tsx';

export function AppHeader() {
  return (
    <header className="app-header">
      <div className="app-header__inner">
        <Link to="/" className="brand" aria-label="cbmir home: search similar fundus cases">
          <img src="/favicon.svg" alt="" width="28" height="28" />
          <span className="brand__name">cbmir</span>
          <span className="brand__tagline">similar fundus cases</span>
        </Link>
        <nav aria-label="Main">
          <NavLink to="/" end className="nav-link">
            Search
          </NavLink>
        </nav>
        <ModelStatus />
      </div>
      <UntrainedModelNotice />
    </header>
  );
}
