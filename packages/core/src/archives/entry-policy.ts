import { isDicom, sniffImageFormat } from '@cbmir/imaging';
import type { ArchiveEntry } from './archive-entries.ts';
import { isNestedArchive } from './archive-format.ts';
import { RATIO_CHECK_MIN_BYTES, type ArchiveLimits } from './archive-limits.ts';

/** Why an entry was not stored; part of the job report (JobItem.code). */
export type EntryProblemCode = 'unsafe_name' | 'link' | 'not_a_file' | 'too_large' | 'compression_ratio' | 'nested_archive' | 'not_an_image' | 'read_error';

export interface EntryProblem {
  code: EntryProblemCode;
  reason: string;
}

const MB = 1024 * 1024;

/**
 * Entries that are not items at all: folders, and the metadata macOS and Windows leave in archives
 * (__MACOSX/, .DS_Store, ._resource forks, Thumbs.db). They are neither stored nor reported.
 */
export function isIgnoredEntry(entry: Pick<ArchiveEntry, 'name' | 'type'>): boolean {
  if (entry.type === 'directory') return true;
  const segments = entry.name.replace(/\\/g, '/').split('/');
  const base = segments[segments.length - 1] ?? '';
  return segments.includes('__MACOSX') || base === '.DS_Store' || base.startsWith('._') || base.toLowerCase() === 'thumbs.db';
}

/**
 * A name that would point outside a target folder if anyone used it as a path: absolute, a drive letter,
 * or a ".." segment. We never use entry names as paths (files are stored by content hash), but such
 * an entry is hostile or broken, so it is refused rather than trusted.
 */
export function isUnsafeEntryName(name: string): boolean {
  if (name.length === 0 || name.includes('\0')) return true;
  const normalized = name.replace(/\\/g, '/');
  if (normalized.startsWith('/') || /^[a-zA-Z]:/.test(normalized)) return true;
  return normalized.split('/').includes('..');
}

/** What can be said against an entry from its header alone, before a byte of it is read. */
export function headerProblem(entry: ArchiveEntry, limits: ArchiveLimits): EntryProblem | null {
  if (isUnsafeEntryName(entry.name)) {
    return { code: 'unsafe_name', reason: 'unsafe name (absolute path or ".." segment): skipped, nothing was extracted' };
  }
  if (entry.type === 'symlink' || entry.type === 'link') {
    return { code: 'link', reason: `a ${entry.type === 'symlink' ? 'symbolic' : 'hard'} link, not a file: links are never followed` };
  }
  if (entry.type !== 'file') return { code: 'not_a_file', reason: 'not a regular file (device, fifo or other special entry)' };
  if (entry.size > limits.maxEntryBytes) {
    return {
      code: 'too_large',
      reason: `${Math.round(entry.size / MB)} MB is more than the per-entry limit of ${Math.round(limits.maxEntryBytes / MB)} MB (CBMIR_ARCHIVE_MAX_ENTRY_MB)`,
    };
  }
  if (entry.compressedSize !== null && entry.size > RATIO_CHECK_MIN_BYTES && entry.size > limits.maxCompressionRatio * Math.max(1, entry.compressedSize)) {
    return {
      code: 'compression_ratio',
      reason: `expands ${Math.round(entry.size / Math.max(1, entry.compressedSize))}:1, more than the limit of ${limits.maxCompressionRatio}:1 (CBMIR_ARCHIVE_MAX_RATIO): a zip bomb?`,
    };
  }
  return null;
}

/** What the first bytes say: another archive (never opened), or not an image at all. */
export function contentProblem(bytes: Uint8Array): EntryProblem | null {
  if (sniffImageFormat(bytes) || isDicom(bytes)) return null;
  if (isNestedArchive(bytes)) return { code: 'nested_archive', reason: 'an archive inside the archive: nested archives are not opened' };
  return { code: 'not_an_image', reason: 'not an image: only JPEG, PNG, TIFF, WebP and DICOM files are stored' };
}

/** An entry name fit for a report: control characters replaced, length capped. */
export function displayName(name: string): string {
  // eslint-disable-next-line no-control-regex
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this replaces
  const clean = name.replace(/[\u0000-\u001f\u007f]/g, '?');
  return clean.length > 500 ? `${clean.slice(0, 497)}...` : clean;
}
