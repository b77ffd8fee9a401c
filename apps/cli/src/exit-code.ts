import { ConfigError, DomainError, type DomainErrorKind } from '@cbmir/core';
import { DatabaseBackupError } from '@cbmir/db';
import { TorchTrainerError } from './torch-trainer.ts';
import { UsageError } from './usage-error.ts';

/** The one place a domain error kind becomes an exit code (see the exit codes in the usage text). */
export const EXIT_CODE: Record<DomainErrorKind, number> = {
  invalid_input: 2,
  unauthenticated: 2,
  forbidden: 2,
  not_found: 2,
  conflict: 2,
  too_large: 2,
  unsupported_media: 2,
  unprocessable: 2,
  rate_limited: 2,
  unavailable: 2,
  insufficient_storage: 2,
};

/** A failure the user can act on: its message is printed as is (anything else with its stack). */
export const isUserError = (error: unknown): error is Error =>
  error instanceof DomainError ||
  error instanceof UsageError ||
  error instanceof ConfigError ||
  error instanceof DatabaseBackupError ||
  error instanceof TorchTrainerError ||
  isParseArgsError(error);

/** node:util parseArgs' refusal of an unknown or malformed option. */
export const isParseArgsError = (error: unknown): error is TypeError =>
  error instanceof TypeError && (error as NodeJS.ErrnoException).code?.startsWith('ERR_PARSE_ARGS') === true;

/**
 * How the CLI ends on an error: a domain error by its kind, the CLI's own refusals (usage, configuration,
 * backup) with 2, a trainer failure with its code, and anything else with 3 (unexpected).
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof DomainError) return EXIT_CODE[error.kind];
  if (error instanceof TorchTrainerError) return error.exitCode;
  return isUserError(error) ? 2 : 3;
}
