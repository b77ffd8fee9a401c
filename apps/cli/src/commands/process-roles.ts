import { startWorker } from '@cbmir/core';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const PROCESS_ROLES_USAGE = `  serve
      The HTTP API and web app only (CBMIR_ROLE=api): no ingest jobs, activations or re-embedding, which worker
      processes run. Needs DATABASE_URL (PostgreSQL); any number of them behind a load balancer.
  worker
      Ingest jobs, model activations and indexing only, no HTTP (CBMIR_ROLE=worker). Needs DATABASE_URL and
      the same CBMIR_DATA_DIR (shared storage) as the API processes; any number of them. A worker killed
      mid-job loses nothing: its job's lease runs out (CBMIR_JOB_LEASE_SECONDS) and another worker resumes it.
      (pnpm start runs both roles in one process, the embedded default.)`;

/** The API app's entry point (apps/api): `cbmir serve` runs it as its own process; the CLI never imports the API. */
const API_MAIN = fileURLToPath(new URL('../../../api/src/main.ts', import.meta.url));

/** `cbmir worker`: runs until SIGINT or SIGTERM, then shuts down cleanly (its jobs handed back). */
export async function runWorker(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const running = await startWorker(env);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.error(`${signal}: shutting down`);
  await running.close();
  return 0;
}

/**
 * `cbmir serve`: the API app's server (apps/api/src/main.ts, as `pnpm serve` runs it) with CBMIR_ROLE=api, in a
 * child process that shares this one's terminal. SIGINT and SIGTERM are passed on; the exit code is the server's.
 * Killed with SIGKILL, this process cannot pass anything on: the server sees it gone (CBMIR_PARENT_PID) and stops.
 */
export function runApiServer(env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const child = spawn(process.execPath, [...process.execArgv, API_MAIN], {
    env: { ...env, CBMIR_ROLE: 'api', CBMIR_PARENT_PID: String(process.pid) },
    stdio: 'inherit',
  });
  const forward = (signal: NodeJS.Signals) => child.kill(signal);
  process.on('SIGINT', forward);
  process.on('SIGTERM', forward);
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      process.off('exit', killOnExit);
      resolve(code ?? (signal ? 1 : 0));
    });
  });
}
