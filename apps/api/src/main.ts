import { ConfigError } from '@cbmir/core';
import { startServer } from './server.ts';

// `pnpm start`: serve the API and the built web app on one port until SIGINT/SIGTERM.
try {
  const server = await startServer();
  const shutdown = async (signal: string) => {
    console.log(`${signal}: shutting down`);
    await server.close();
    process.exit(0);
  };
  process.once('SIGINT', () => void shutdown('SIGINT'));
  process.once('SIGTERM', () => void shutdown('SIGTERM'));
} catch (error) {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
}
