import { Link } from 'react-router-dom';

export function NotFoundPage() {
  return (
    <div className="panel" role="alert" data-testid="page-not-found">
      <h1 className="panel__title">Page not found</h1>
      <p>
        There is nothing at this address. <Link to="/">Search for similar cases</Link>.
      </p>
    </div>
  );
}
