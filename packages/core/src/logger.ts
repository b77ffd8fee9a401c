/** Where services say what they did (pino in the server, stderr in the CLI). */
export interface Logger {
  info(message: string): void;
  warn(message: string): void;
}
