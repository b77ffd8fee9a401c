import { availableParallelism } from 'node:os';
import { defineConfig } from 'vitest/config';

// Three tiers (../shared/STYLE.md): unit tests next to the code, integration tests (*.int.test.ts) that run against
// both databases, and end-to-end tests that drive the built web app in Chromium; plus the PyTorch
// training engine's tests (*.torch.test.ts), which need a Python with torch.
// scripts/run-tests.mjs decides which projects this machine can run and says so.
const integration = ['packages/**/src/**/*.int.test.ts', 'apps/**/src/**/*.int.test.ts', 'apps/cli/test/**/*.int.test.ts'];
const torch = '**/*.torch.test.ts';

export default defineConfig({
  test: {
    // At least two test files at once, also on a 2-core machine (vitest's default there is one): most
    // integration and end-to-end tests wait on a server, PostgreSQL or Chromium in another process, and
    // each gets its own database and ports. On 2 cores the vitest run took 853 s, the last one-file-at-a-time run 1,273 s.
    maxWorkers: Math.max(2, availableParallelism() - 1),
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['packages/**/src/**/*.test.ts', 'apps/**/src/**/*.test.ts'],
          exclude: [...integration, torch, '**/node_modules/**'],
          testTimeout: 60_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-pglite',
          include: integration,
          // Tests of what only a PostgreSQL server does (dropped connections).
          exclude: ['**/*.postgres.int.test.ts', '**/node_modules/**'],
          env: { CBMIR_TEST_DB: 'pglite' },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration-postgres',
          include: integration,
          env: { CBMIR_TEST_DB: 'postgres' },
          testTimeout: 180_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'torch',
          include: ['apps/**/src/**/*.torch.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
      {
        extends: true,
        test: {
          name: 'e2e',
          include: ['apps/web/e2e/**/*.e2e.test.ts'],
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
