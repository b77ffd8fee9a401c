import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildTar, buildZip, type ArchiveFileSpec } from './archive-builder.ts';
import { ArchiveError, readArchiveEntries, type InputFormat } from './archive-entries.ts';
import { sniffArchiveFormat } from './archive-format.ts';
import { inspectArchive } from './archive-inspection.ts';
import { DEFAULT_ARCHIVE_LIMITS, type ArchiveLimits } from './archive-limits.ts';
import { contentProblem, headerProblem, isIgnoredEntry } from './entry-policy.ts';

const dir = mkdtempSync(join(tmpdir(), 'cbmir-entries-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const MB = 1024 * 1024;
const limits: ArchiveLimits = { ...DEFAULT_ARCHIVE_LIMITS, maxEntries: 20, maxTotalBytes: 12 * MB, maxEntryBytes: 3 * MB, maxCompressionRatio: 50 };
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 1, 2, 3]);

let n = 0;
function write(bytes: Buffer): string {
  const path = join(dir, `archive-${n++}`);
  writeFileSync(path, bytes);
  return path;
}

/** Every entry with what the policy says about it (header first, then content). */
async function verdicts(path: string, format: InputFormat) {
  const out: Record<string, string> = {};
  for await (const entry of readArchiveEntries(path, format, limits)) {
    if (isIgnoredEntry(entry)) {
      out[entry.name] = 'ignored';
      continue;
    }
    const problem = headerProblem(entry, limits);
    if (problem) {
      out[entry.name] = problem.code;
      continue;
    }
    try {
      out[entry.name] = contentProblem(await entry.read(limits.maxEntryBytes))?.code ?? 'image';
    } catch (error) {
      out[entry.name] = (error as { code: string }).code;
    }
  }
  return out;
}

const hostile: ArchiveFileSpec[] = [
  { name: 'dir/', type: 'directory' },
  { name: 'dir/ok.jpg', data: JPEG },
  { name: '../escape.jpg', data: JPEG },
  { name: '/etc/cron.d/abs.jpg', data: JPEG },
  { name: 'a/../../up.jpg', data: JPEG },
  { name: 'link.jpg', type: 'symlink', target: '/etc/passwd' },
  { name: 'inner.zip', data: buildZip([{ name: 'x.jpg', data: JPEG }]) },
  { name: 'notes.txt', data: 'not an image' },
  { name: '__MACOSX/._ok.jpg', data: 'resource fork' },
];

describe('reading archives entry by entry', () => {
  it('tells the format from the bytes', async () => {
    expect(sniffArchiveFormat(buildZip([{ name: 'a', data: 'b' }]))).toBe('zip');
    expect(sniffArchiveFormat(await buildTar([{ name: 'a', data: 'b' }]))).toBe('tar');
    expect(sniffArchiveFormat(await buildTar([{ name: 'a', data: 'b' }], { gzip: true }))).toBe('tar.gz');
    expect(sniffArchiveFormat(JPEG)).toBeNull();
  });

  it('reports unsafe names, links, nested archives and non-images in a zip, a tar and a tar.gz alike', async () => {
    const expected = {
      'dir/': 'ignored',
      'dir/ok.jpg': 'image',
      '../escape.jpg': 'unsafe_name',
      '/etc/cron.d/abs.jpg': 'unsafe_name',
      'a/../../up.jpg': 'unsafe_name',
      'link.jpg': 'link',
      'inner.zip': 'nested_archive',
      'notes.txt': 'not_an_image',
      '__MACOSX/._ok.jpg': 'ignored',
    };
    expect(await verdicts(write(buildZip(hostile)), 'zip')).toEqual(expected);
    expect(await verdicts(write(await buildTar(hostile)), 'tar')).toEqual(expected);
    expect(await verdicts(write(await buildTar([...hostile, { name: 'hard.jpg', type: 'link', target: 'dir/ok.jpg' }], { gzip: true })), 'tar.gz')).toEqual({
      ...expected,
      'hard.jpg': 'link',
    });
  });

  it('refuses zip entries over the size or ratio limit, or bigger than they declare, and corrupt ones', async () => {
    const zip = buildZip([
      { name: 'big.jpg', data: Buffer.alloc(4 * MB) },
      { name: 'bomb.jpg', data: Buffer.alloc(2 * MB) },
      { name: 'liar.jpg', data: Buffer.alloc(2 * MB), declaredSize: 1000 },
      { name: 'ok.jpg', data: JPEG, deflate: false },
    ]);
    expect(await verdicts(write(zip), 'zip')).toEqual({ 'big.jpg': 'too_large', 'bomb.jpg': 'compression_ratio', 'liar.jpg': 'read_error', 'ok.jpg': 'image' });
    // Flip a byte of the stored JPEG: the CRC-32 check catches it.
    const corrupt = Buffer.from(buildZip([{ name: 'ok.jpg', data: JPEG, deflate: false }]));
    const offset = 30 + 'ok.jpg'.length + 4;
    corrupt[offset] = corrupt[offset]! ^ 0xff;
    expect(await verdicts(write(corrupt), 'zip')).toEqual({ 'ok.jpg': 'read_error' });
  });

  it('refuses, as a whole, truncated archives, entry floods, archives that expand too far and gzip bombs', async () => {
    const inspect = (bytes: Buffer, format: InputFormat) => inspectArchive(write(bytes), format, limits);
    const expectArchiveError = async (promise: Promise<unknown>, code: string) => {
      const error = await promise.then(
        () => null,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ArchiveError);
      expect((error as ArchiveError).code).toBe(code);
    };
    const zip = buildZip(hostile);
    const tgz = await buildTar(hostile, { gzip: true });
    const tar = await buildTar(hostile);
    await expectArchiveError(inspect(zip.subarray(0, zip.length - 10), 'zip'), 'corrupt_archive');
    await expectArchiveError(inspect(tgz.subarray(0, tgz.length - 10), 'tar.gz'), 'corrupt_archive');
    await expectArchiveError(inspect(tar.subarray(0, 1500), 'tar'), 'corrupt_archive');
    await expectArchiveError(inspect(Buffer.concat([Buffer.from([0x1f, 0x8b]), Buffer.alloc(100)]), 'tar.gz'), 'corrupt_archive');
    const many = Array.from({ length: 25 }, (_, i) => ({ name: `${i}.jpg`, data: JPEG }));
    await expectArchiveError(inspect(buildZip(many), 'zip'), 'too_many_entries');
    await expectArchiveError(inspect(await buildTar(many), 'tar'), 'too_many_entries');
    const huge = Array.from({ length: 5 }, (_, i) => ({ name: `${i}.bin`, data: Buffer.alloc(3 * MB) }));
    await expectArchiveError(inspect(buildZip(huge), 'zip'), 'too_large_uncompressed');
    await expectArchiveError(inspect(await buildTar([{ name: 'zeros', data: Buffer.alloc(11 * MB) }], { gzip: true }), 'tar.gz'), 'compression_ratio');
  });

  it('counts items and finds label files by their header', async () => {
    const files = [...hostile, { name: 'trainLabels.csv', data: 'image,level\nok,1\n' }, { name: 'other.csv', data: 'a,b\n' }];
    const inspection = await inspectArchive(write(buildZip(files)), 'zip', limits);
    expect(inspection.labelFiles.map((f) => [f.name, f.layout])).toEqual([['trainLabels.csv', 'eyepacs']]);
    expect(inspection.items).toBe(8); // 11 entries less a folder, a resource fork and the label file
  });

  it('reads a folder like an archive, following links to files and reporting other links', async () => {
    const folder = join(dir, 'folder');
    mkdirSync(join(folder, 'sub'), { recursive: true });
    writeFileSync(join(folder, 'sub', 'a.jpg'), JPEG);
    writeFileSync(join(folder, 'b.txt'), 'text');
    symlinkSync(join(folder, 'sub', 'a.jpg'), join(folder, 'c.jpg'));
    symlinkSync(join(dir, 'missing.jpg'), join(folder, 'd.jpg'));
    symlinkSync(join(folder, 'sub'), join(folder, 'e.jpg'));
    expect(await verdicts(folder, 'folder')).toEqual({
      'b.txt': 'not_an_image',
      'c.jpg': 'image',
      'd.jpg': 'link',
      'e.jpg': 'link',
      'sub/': 'ignored',
      'sub/a.jpg': 'image',
    });
  });
});
