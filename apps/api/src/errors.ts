/**
 * A refusal of the HTTP request itself with a status chosen by the parser that refused it (the multipart
 * parser's 4xx). Everything else the API refuses is a domain error from @cbmir/core, mapped in http-error.ts.
 */
export class AppError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}
