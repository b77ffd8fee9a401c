import { parseArgs } from 'node:util';
import { ConfigError, DOMAIN_ERRORS, type DomainError } from '@cbmir/core';
import { DatabaseBackupError } from '@cbmir/db';
import { describe, expect, it } from 'vitest';
import { EXIT_CODE, exitCodeOf, isUserError } from './exit-code.ts';
import { TorchTrainerError } from './torch-trainer.ts';
import { UsageError } from './usage-error.ts';

describe('CLI exit codes of errors', () => {
  it('maps every domain error kind to exit code 2 (usage or input error) and prints its message', () => {
    expect(Object.keys(EXIT_CODE).sort()).toEqual(Object.keys(DOMAIN_ERRORS).sort());
    for (const DomainErrorOfKind of Object.values(DOMAIN_ERRORS)) {
      const error: DomainError = new DomainErrorOfKind('some_code', 'refused');
      expect(exitCodeOf(error)).toBe(2);
      expect(isUserError(error)).toBe(true);
    }
  });

  it("ends the CLI's own refusals with 2 and a trainer failure with its own code", () => {
    expect(exitCodeOf(new UsageError('ingest takes exactly one folder or archive'))).toBe(2);
    expect(exitCodeOf(new ConfigError(['CBMIR_PORT must be a number']))).toBe(2);
    expect(exitCodeOf(new DatabaseBackupError('not a backup folder'))).toBe(2);
    let parseError: unknown;
    try {
      parseArgs({ args: ['--nope'], options: {} });
    } catch (error) {
      parseError = error;
    }
    expect(exitCodeOf(parseError)).toBe(2);
    expect(exitCodeOf(new TorchTrainerError('out of memory', 'out-of-memory'))).toBe(3);
    expect(exitCodeOf(new TorchTrainerError('bad labels', 'invalid-input'))).toBe(2);
    expect(exitCodeOf(new TorchTrainerError('stopped', 'interrupted'))).toBe(130);
  });

  it('ends anything unexpected with 3 and prints it whole', () => {
    for (const error of [new Error('boom'), new TypeError('x is undefined'), 'a string']) {
      expect(exitCodeOf(error)).toBe(3);
      expect(isUserError(error)).toBe(false);
    }
  });
});
