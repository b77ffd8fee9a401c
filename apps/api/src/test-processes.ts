import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** For multi-process tests: the repository root, where `pnpm cbmir` runs. */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));

export interface CbmirProcess {
  child: ChildProcess;
  /** The match of the `ready` pattern in its output (e.g. the URL it listens on). */
  ready: RegExpExecArray;
}

/**
 * For multi-process tests: `node --import tsx apps/cli/src/main.ts <command>` (`serve`, `worker`), or for
 * `all-in-one` the server as `pnpm start` runs it (apps/api/src/main.ts: HTTP and jobs in one process), as a
 * process of its own, so a SIGKILL hits it, with `env` over this process's environment (without its
 * DATABASE_URL and CBMIR_ROLE). Resolves once its output matches `ready`; rejects if it exits first or takes
 * 4 minutes.
 */
export function startCbmirProcess(command: 'serve' | 'worker' | 'all-in-one', env: Record<string, string | undefined>, ready: RegExp): Promise<CbmirProcess> {
  const { DATABASE_URL: _database, CBMIR_ROLE: _role, ...inherited } = process.env;
  const args = command === 'all-in-one' ? ['apps/api/src/main.ts'] : ['apps/cli/src/main.ts', command];
  const child = spawn(process.execPath, ['--import', 'tsx', ...args], {
    cwd: REPO,
    env: { ...inherited, PORT: '0', HOST: '127.0.0.1', LOG_LEVEL: 'info', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`cbmir ${command} did not start:\n${output.slice(-3000)}`)), 240_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 100_000) output = output.slice(-50_000);
      const match = ready.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve({ child, ready: match });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`cbmir ${command} exited (${code ?? signal}) before it was ready:\n${output.slice(-3000)}`));
    });
  });
}

/** Resolves when the process has exited (at once if it already has). */
export function exited(child: ChildProcess): Promise<void> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise((resolve) => child.once('exit', () => resolve()));
}
