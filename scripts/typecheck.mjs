#!/usr/bin/env node
// `pnpm typecheck`: strict TypeScript over every package and app (each has its own tsconfig.json; the
// web app's end-to-end tests have theirs). Runs them in turn and fails if any fails.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';

const projects = ['packages', 'apps']
  .flatMap((dir) => readdirSync(dir).map((name) => `${dir}/${name}`))
  .concat(['apps/web/e2e'])
  .filter((dir) => existsSync(`${dir}/tsconfig.json`));

let failed = 0;
for (const project of projects) {
  const { status } = spawnSync('pnpm', ['exec', 'tsc', '--noEmit', '-p', project], { stdio: 'inherit' });
  console.log(`${status === 0 ? 'ok  ' : 'FAIL'} ${project}`);
  if (status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
