import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { fileStoreFactory } from './file-store.ts';

const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-file-store-'));
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('file store', () => {
  it('writes one path many times at once without a torn file or a failed rename, and leaves no temporary file', async () => {
    const files = fileStoreFactory({ dataDir });
    const path = files.queryThumbnailPath('ab'.repeat(32));
    const bytes = new Uint8Array(256 * 1024).map((_, i) => i % 251);
    await Promise.all(Array.from({ length: 8 }, () => files.put(path, bytes)));
    expect(new Uint8Array(readFileSync(files.absolute(path)))).toEqual(bytes);
    expect(readdirSync(dirname(files.absolute(path)))).toEqual([`${'ab'.repeat(32)}.jpg`]);
  });

  it('removes its temporary file when the write fails, and leaves what was there', async () => {
    const files = fileStoreFactory({ dataDir });
    const path = files.originalPath('cd'.repeat(32), 'jpeg');
    // A folder where the file should go: the rename fails after the bytes were written, as a full disk can fail a write.
    mkdirSync(files.absolute(path), { recursive: true });
    await expect(files.put(path, new Uint8Array(1024))).rejects.toThrow();
    expect(readdirSync(dirname(files.absolute(path)))).toEqual([`${'cd'.repeat(32)}.jpeg`]);
  });

  it('never follows a stored path out of the data directory', () => {
    expect(() => fileStoreFactory({ dataDir }).absolute('../outside.jpg')).toThrow(/escapes the data directory/);
  });
});
