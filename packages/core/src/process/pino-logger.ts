import { pino, type Logger as PinoLogger } from 'pino';
import pretty from 'pino-pretty';

/**
 * Human-readable lines for a person at a terminal; JSON lines (one object per line, for log collectors)
 * when stdout is not a terminal or NODE_ENV is production, whatever the terminal.
 */
export function wantsPrettyLogs(env: Record<string, string | undefined>, stdoutIsTerminal: boolean): boolean {
  return stdoutIsTerminal && env.NODE_ENV !== 'production';
}

/** The server's pino logger, writing to `destination` (default stdout) in the format chosen above. */
export function createLogger(options: { level: string; pretty: boolean; destination?: NodeJS.WritableStream }): PinoLogger {
  if (options.pretty) {
    // In this thread, not a transport worker: lines come out in order with the rest of stdout, and nothing to shut down.
    return pino(
      { level: options.level },
      pretty({ destination: options.destination ?? 1, sync: true, colorize: !options.destination, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname' }),
    );
  }
  return options.destination ? pino({ level: options.level }, options.destination) : pino({ level: options.level });
}
