import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../usage-error.ts';
import { bench } from './bench.ts';

const dir = mkdtempSync(join(tmpdir(), 'cbmir-bench-secrets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('bench search secrets', () => {
  it('refuses a password or API key on the command line, where ps shows it', async () => {
    await expect(bench(['search', '--password', 'hunter2'], () => {})).rejects.toThrow(UsageError);
    await expect(bench(['search', '--api-key', 'cbmir_x'], () => {})).rejects.toThrow(/visible in ps/);
  });

  it('reads them from a file instead, and says so when the file is missing or empty', async () => {
    const empty = join(dir, 'empty');
    writeFileSync(empty, '\n');
    await expect(bench(['search', '--password-file', join(dir, 'missing')], () => {})).rejects.toThrow(/--password-file: cannot read/);
    await expect(bench(['search', '--api-key-file', empty], () => {})).rejects.toThrow(/--api-key-file: .* is empty/);
  });
});
