#!/usr/bin/env node
// `pnpm test`: every test tier this machine can run. Unit and embedded-database integration tests always
// run; the PostgreSQL integration run needs CBMIR_TEST_DATABASE_URL (scripts/start-test-postgres.sh sets
// it up); the end-to-end tests need Chromium (/usr/bin/chromium or CBMIR_CHROMIUM); the PyTorch training
// engine's tests (its Python package's unittest suite and the CLI's *.torch.test.ts) need a Python with
// torch (CBMIR_PYTHON, python3 or /usr/bin/python3, as `cbmir train` looks). Under CI=true a missing
// tier is an error, never a silent gap. Ends with one "N passed, N failed" line.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ci = process.env.CI === 'true' || process.env.CI === '1';
const chromium = process.env.CBMIR_CHROMIUM ?? '/usr/bin/chromium';
const projects = ['unit', 'integration-pglite'];
const missing = [];

if (process.env.CBMIR_TEST_DATABASE_URL) projects.push('integration-postgres');
else missing.push('integration-postgres (set CBMIR_TEST_DATABASE_URL, e.g. eval "$(scripts/start-test-postgres.sh)")');

// The same interpreters `cbmir train --engine auto` tries (apps/cli/src/torch-trainer.ts).
const torchPython = (process.env.CBMIR_PYTHON ? [process.env.CBMIR_PYTHON] : ['python3', '/usr/bin/python3', 'python']).find(
  (python) => spawnSync(python, ['-c', 'import torch, torchvision'], { stdio: 'ignore' }).status === 0,
);
if (torchPython) projects.push('torch');
else missing.push('torch (no Python with PyTorch: apt-get install -y python3-torch python3-torchvision, or set CBMIR_PYTHON)');

if (existsSync(chromium)) projects.push('e2e');
else missing.push(`e2e (no Chromium at ${chromium}: apt-get install -y chromium, or set CBMIR_CHROMIUM)`);

if (missing.length > 0) {
  console.error(`${ci ? 'error' : 'note'}: not running ${missing.join('; ')}`);
  if (ci) process.exit(1);
}

const run = (command, args, options = {}) => spawnSync(command, args, { stdio: 'inherit', ...options }).status ?? 1;

let pythonStatus = 0;
if (torchPython && process.argv.length <= 2) {
  // The trainer's own tests (packages/torch-trainer/tests), before the TypeScript tiers.
  console.log(`PyTorch trainer tests (${torchPython} -m unittest)`);
  pythonStatus = run(torchPython, ['-m', 'unittest', 'discover', '-s', 'tests', '-t', '.'], { cwd: 'packages/torch-trainer' });
}

if (projects.includes('e2e')) {
  // The end-to-end tests drive the built web app, as users get it.
  if (run('pnpm', ['--filter', '@cbmir/web', 'build']) !== 0) process.exit(1);
  process.env.CBMIR_E2E_SKIP_BUILD = '1';
}

const report = join(mkdtempSync(join(tmpdir(), 'cbmir-test-')), 'report.json');
const status = run('pnpm', [
  'exec',
  'vitest',
  'run',
  ...projects.flatMap((p) => ['--project', p]),
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${report}`,
  ...process.argv.slice(2),
]);

if (existsSync(report)) {
  const { numPassedTests, numFailedTests, numPendingTests } = JSON.parse(readFileSync(report, 'utf8'));
  console.log(`projects: ${projects.join(', ')}`);
  console.log(`${numPassedTests} passed, ${numFailedTests} failed${numPendingTests ? `, ${numPendingTests} skipped` : ''}`);
}
if (pythonStatus !== 0) console.log('PyTorch trainer tests failed (see above)');
process.exit(status || pythonStatus);
