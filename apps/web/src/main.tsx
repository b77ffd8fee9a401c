import { createClient } from '@cbmir/contract';
import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router-dom';
import { ApiClientProvider } from './api/api-client.tsx';
import { createAppQueryClient } from './api/query-client.ts';
import { SearchSessionProvider } from './api/search-session.tsx';
import { createAppRouter } from './app.tsx';
import './styles/index.css';

const queryClient = createAppQueryClient();
// Same origin: the API serves this app in production, and Vite proxies to it in development.
const apiClient = createClient({ baseUrl: '' });
const router = createAppRouter();

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');

createRoot(root).render(
  <StrictMode>
    <ApiClientProvider client={apiClient}>
      <QueryClientProvider client={queryClient}>
        <SearchSessionProvider>
          <RouterProvider router={router} />
        </SearchSessionProvider>
      </QueryClientProvider>
    </ApiClientProvider>
  </StrictMode>,
);
