import { ConfigError } from '@cbmir/core';
import { startServer } from './server.ts';

const PARENT_CHECK_MS = 500;

// `pnpm start` / `pnpm serve`: serve the API and the built web app on one port until SIGINT/SIGTERM.
try {
  const server = await startServer();
  let closing = false;
  const shutdown = async (reason: string) => {
    if (closing) return;
    closing = true;
    console.log(`${reason}: shutting down`);
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
  // `cbmir serve` runs this file as its child and names itself here: when that process is gone, even killed
  // with SIGKILL (no signal to pass on), this one is re-parented and shuts down instead of living on alone.
  const parent = Number(process.env.CBMIR_PARENT_PID);
  if (parent > 0) {
    setInterval(() => {
      if (process.ppid !== parent) void shutdown('cbmir serve exited');
    }, PARENT_CHECK_MS).unref();
  }
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
