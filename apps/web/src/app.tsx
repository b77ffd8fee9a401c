import { Outlet, ScrollRestoration, createBrowserRouter } from 'react-router-dom';
import { AppHeader } from './components/app-header.tsx';
import { RequireAdmin } from './components/require-admin.tsx';
import { RequireSession } from './components/require-session.tsx';
import { CasePage } from './pages/case-page.tsx';
import { ComparePage } from './pages/compare-page.tsx';
import { LoginPage } from './pages/login-page.tsx';
import { NotFoundPage } from './pages/not-found-page.tsx';
import { SearchPage } from './pages/search-page.tsx';

function Layout() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <AppHeader />
      <main id="main" className="app-main" tabIndex={-1}>
        <Outlet />
      </main>
      {/* New case pages open at the top; Back returns to where the ranked list was left. */}
      <ScrollRestoration />
      <footer className="app-footer">cbmir is a research tool for case retrieval. It does not make a diagnosis.</footer>
    </>
  );
}

function AdminOnly() {
  return (
    <RequireAdmin>
      <Outlet />
    </RequireAdmin>
  );
}

function SignedIn() {
  return (
    <RequireSession>
      <Outlet />
    </RequireSession>
  );
}

export function createAppRouter() {
  return createBrowserRouter([
    {
      element: <Layout />,
      children: [
        { path: '/login', element: <LoginPage /> },
        {
          element: <SignedIn />,
          children: [
            { path: '/', element: <SearchPage /> },
            { path: '/cases/:id', element: <CasePage /> },
            { path: '/compare', element: <ComparePage /> },
            // Loaded on first visit: most sessions are searches and never need the charts or admin forms.
            { path: '/evaluation', lazy: async () => ({ Component: (await import('./pages/evaluation-page.tsx')).EvaluationPage }) },
            { path: '/models', lazy: async () => ({ Component: (await import('./pages/models-page.tsx')).ModelsPage }) },
            { path: '/searches', lazy: async () => ({ Component: (await import('./pages/my-searches-page.tsx')).MySearchesPage }) },
            {
              element: <AdminOnly />,
              children: [
                { path: '/admin/users', lazy: async () => ({ Component: (await import('./pages/users-page.tsx')).UsersPage }) },
                { path: '/admin/audit', lazy: async () => ({ Component: (await import('./pages/audit-page.tsx')).AuditPage }) },
                { path: '/admin/archives', lazy: async () => ({ Component: (await import('./pages/archives-page.tsx')).ArchivesPage }) },
                // Any other admin address: the role check first, then "not found".
                { path: '/admin/*', element: <NotFoundPage /> },
              ],
            },
            { path: '*', element: <NotFoundPage /> },
          ],
        },
      ],
    },
  ]);
}
