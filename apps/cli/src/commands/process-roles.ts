import { startServer, startWorker } from '@cbmir/api';

export const PROCESS_ROLES_USAGE = `  serve
      The HTTP API and web app only (CBMIR_ROLE=api): no ingest jobs, activations or re-embedding, which worker
      processes run. Needs DATABASE_URL (PostgreSQL); any number of them behind a load balancer.
  worker
      Ingest jobs, model activations and indexing only, no HTTP (CBMIR_ROLE=worker). Needs DATABASE_URL and
      the same CBMIR_DATA_DIR (shared storage) as the API processes; any number of them. A worker killed
      mid-job loses nothing: its job's lease runs out (CBMIR_JOB_LEASE_SECONDS) and another worker resumes it.
      (pnpm start runs both roles in one process, the embedded default.)`;

/** `cbmir serve` / `cbmir worker`: runs the role until SIGINT or SIGTERM, then shuts down cleanly (jobs handed back). */
export async function runRole(role: 'api' | 'worker', env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const running = role === 'api' ? await startServer({ ...env, CBMIR_ROLE: 'api' }) : await startWorker(env);
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  console.error(`${signal}: shutting down`);
  await running.close();
  return 0;
}
