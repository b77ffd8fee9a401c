import { createReadStream, type Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Transform, type Readable } from 'node:stream';
import { crc32, createGunzip } from 'node:zlib';
import * as tar from 'tar-stream';
import yauzl from 'yauzl';
import type { ArchiveFormat } from './archive-format.ts';
import { RATIO_CHECK_MIN_BYTES, type ArchiveLimits } from './archive-limits.ts';

export type EntryType = 'file' | 'directory' | 'symlink' | 'link' | 'other';

/** One entry of an archive (or a file of a folder), in the order the archive stores them. */
export interface ArchiveEntry {
  /** Position in the archive, from 0: stable across reads, so a job can resume after entry n. */
  index: number;
  /** The name as the archive states it. Only ever shown in reports: never used as a path. */
  name: string;
  type: EntryType;
  /** Uncompressed size the archive declares. */
  size: number;
  /** Compressed size, where the format has one per entry (zip). */
  compressedSize: number | null;
  /** Reads the whole entry into memory, refusing more than maxBytes. Throws EntryError for a bad entry. */
  read(maxBytes: number): Promise<Buffer>;
}

/** One entry cannot be read; the archive goes on. */
export class EntryError extends Error {
  constructor(
    readonly code: 'too_large' | 'compression_ratio' | 'read_error',
    message: string,
  ) {
    super(message);
    this.name = 'EntryError';
  }
}

export type ArchiveErrorCode = 'corrupt_archive' | 'too_many_entries' | 'too_large_uncompressed' | 'compression_ratio';

/** The archive as a whole cannot be read (on) or breaks a limit. */
export class ArchiveError extends Error {
  constructor(
    readonly code: ArchiveErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export type InputFormat = ArchiveFormat | 'folder';

const MB = 1024 * 1024;
const mb = (bytes: number) => `${Math.round((bytes / MB) * 10) / 10} MB`;

function tooManyEntries(limits: ArchiveLimits) {
  return new ArchiveError('too_many_entries', `the archive has more than ${limits.maxEntries} entries (CBMIR_ARCHIVE_MAX_ENTRIES)`);
}

function tooLargeExpanded(limits: ArchiveLimits) {
  return new ArchiveError('too_large_uncompressed', `the archive expands to more than ${mb(limits.maxTotalBytes)} (CBMIR_ARCHIVE_MAX_TOTAL_MB)`);
}

/**
 * Streams the entries of a zip, tar, .tar.gz or folder one at a time; the caller reads an entry (into
 * memory, bounded) or leaves it, and the next one comes. Entry count, expanded size and compression ratio
 * are checked as the archive is read, so a bomb stops early instead of filling memory or disk.
 */
export function readArchiveEntries(path: string, format: InputFormat, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  if (format === 'zip') return zipEntries(path, limits);
  if (format === 'folder') return folderEntries(path, limits);
  return tarEntries(path, format === 'tar.gz', limits);
}

/** Collects a stream, failing as soon as it passes maxBytes or its declared size. */
async function collect(stream: Readable | AsyncIterable<Uint8Array>, maxBytes: number, check: (received: number) => void = () => {}): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let received = 0;
  for await (const chunk of stream as AsyncIterable<Uint8Array>) {
    received += chunk.length;
    if (received > maxBytes) {
      (stream as { destroy?: () => void }).destroy?.();
      throw new EntryError('too_large', `the file is larger than the per-entry limit of ${mb(maxBytes)} (CBMIR_ARCHIVE_MAX_ENTRY_MB)`);
    }
    check(received);
    chunks.push(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length));
  }
  return Buffer.concat(chunks, received);
}

// ---- zip -----------------------------------------------------------------------------------------

const S_IFMT = 0o170000;
const S_IFLNK = 0o120000;
const S_IFDIR = 0o040000;
const S_IFREG = 0o100000;

function zipEntryType(entry: yauzl.Entry, name: string): EntryType {
  const madeByUnix = entry.versionMadeBy >> 8 === 3;
  const mode = (entry.externalFileAttributes >>> 16) & S_IFMT;
  if (madeByUnix && mode === S_IFLNK) return 'symlink';
  if (name.endsWith('/') || (madeByUnix && mode === S_IFDIR)) return 'directory';
  if (!madeByUnix || mode === 0 || mode === S_IFREG) return 'file';
  return 'other';
}

async function* zipEntries(path: string, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  let zip: yauzl.ZipFile;
  try {
    // Names stay raw (decodeStrings: false): yauzl would otherwise reject the whole archive over one
    // "../" name, where we skip that entry alone. Sizes are checked here, per entry, for the same reason.
    zip = await yauzl.openPromise(path, { lazyEntries: true, autoClose: false, decodeStrings: false, validateEntrySizes: false });
  } catch (error) {
    throw new ArchiveError('corrupt_archive', `not a readable zip archive: ${(error as Error).message}`);
  }
  try {
    if (zip.entryCount > limits.maxEntries) throw tooManyEntries(limits);
    let index = 0;
    let declaredTotal = 0;
    const iterator = zip.eachEntry();
    for (;;) {
      let next: IteratorResult<yauzl.Entry>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw new ArchiveError('corrupt_archive', `the zip's central directory is corrupt: ${(error as Error).message}`);
      }
      if (next.done) return;
      const entry = next.value;
      const name = yauzl.getFileNameLowLevel(entry.generalPurposeBitFlag, entry.fileNameRaw, entry.extraFields, false);
      const type = zipEntryType(entry, name);
      declaredTotal += entry.uncompressedSize;
      if (declaredTotal > limits.maxTotalBytes) throw tooLargeExpanded(limits);
      yield {
        index: index++,
        name,
        type,
        size: entry.uncompressedSize,
        compressedSize: entry.compressedSize,
        async read(maxBytes) {
          if (entry.isEncrypted()) throw new EntryError('read_error', 'the entry is encrypted');
          if (entry.compressionMethod !== 0 && entry.compressionMethod !== 8) {
            throw new EntryError('read_error', `unsupported zip compression method ${entry.compressionMethod}`);
          }
          let stream: Readable;
          try {
            stream = await zip.openReadStreamPromise(entry);
          } catch (error) {
            throw new EntryError('read_error', `cannot read the entry: ${(error as Error).message}`);
          }
          let bytes: Buffer;
          try {
            bytes = await collect(stream, maxBytes, (received) => {
              if (received > entry.uncompressedSize) {
                throw new EntryError('read_error', `the entry holds more than the ${entry.uncompressedSize} bytes its header declares`);
              }
              // The declared sizes may lie: the ratio is checked on the bytes actually inflated too.
              if (received > RATIO_CHECK_MIN_BYTES && received > limits.maxCompressionRatio * Math.max(1, entry.compressedSize)) {
                throw new EntryError('compression_ratio', `the entry expands more than ${limits.maxCompressionRatio}:1 (a zip bomb?)`);
              }
            });
          } catch (error) {
            stream.destroy();
            if (error instanceof EntryError) throw error;
            throw new EntryError('read_error', `the entry is corrupt: ${(error as Error).message}`);
          }
          if (bytes.length !== entry.uncompressedSize) {
            throw new EntryError('read_error', `the entry holds ${bytes.length} bytes, its header declares ${entry.uncompressedSize}`);
          }
          if (crc32(bytes) >>> 0 !== entry.crc32 >>> 0) throw new EntryError('read_error', 'the entry is corrupt (CRC-32 mismatch)');
          return bytes;
        },
      };
    }
  } finally {
    zip.close();
  }
}

// ---- tar and tar.gz -------------------------------------------------------------------------------

function tarEntryType(type: string | null | undefined): EntryType {
  if (type === 'file' || type === 'contiguous-file' || !type) return 'file';
  if (type === 'directory') return 'directory';
  if (type === 'symlink') return 'symlink';
  if (type === 'link') return 'link';
  return 'other';
}

function counter(onBytes: (total: number) => void): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      try {
        onBytes(total);
      } catch (error) {
        return callback(error as Error);
      }
      callback(null, chunk);
    },
  });
}

function corrupt(error: unknown, gzip: boolean): ArchiveError {
  if (error instanceof ArchiveError) return error;
  const message = (error as Error).message ?? String(error);
  if (/invalid header/i.test(message)) {
    return new ArchiveError('corrupt_archive', gzip ? 'the gzip file holds no valid tar archive' : 'not a valid tar archive (bad header)');
  }
  if (/unexpected end/i.test(message)) return new ArchiveError('corrupt_archive', 'the archive is truncated (unexpected end of data)');
  return new ArchiveError('corrupt_archive', `the archive is corrupt: ${message}`);
}

async function* tarEntries(path: string, gzip: boolean, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  const input = createReadStream(path);
  const extract = tar.extract();
  let failure: unknown = null;
  const fail = (error: unknown) => {
    failure ??= error;
    extract.destroy(error as Error);
  };
  let compressed = 0;
  const expanded = counter((total) => {
    if (total > limits.maxTotalBytes) throw tooLargeExpanded(limits);
    if (gzip && total > 10 * RATIO_CHECK_MIN_BYTES && total > limits.maxCompressionRatio * Math.max(1, compressed)) {
      throw new ArchiveError('compression_ratio', `the archive expands more than ${limits.maxCompressionRatio}:1 (a gzip bomb?)`);
    }
  });
  input.on('error', fail);
  expanded.on('error', fail);
  if (gzip) {
    const gunzip = createGunzip();
    const raw = counter((total) => {
      compressed = total;
    });
    raw.on('error', fail);
    gunzip.on('error', fail);
    input
      .pipe(raw)
      .pipe(gunzip)
      .pipe(expanded)
      .pipe(extract as unknown as NodeJS.WritableStream);
  } else {
    input.pipe(expanded).pipe(extract as unknown as NodeJS.WritableStream);
  }

  let index = 0;
  let declaredTotal = 0;
  try {
    const iterator = extract[Symbol.asyncIterator]();
    for (;;) {
      let next: Awaited<ReturnType<typeof iterator.next>>;
      try {
        next = await iterator.next();
      } catch (error) {
        throw corrupt(failure ?? error, gzip);
      }
      if (next.done) {
        if (failure) throw corrupt(failure, gzip);
        return;
      }
      const stream = next.value;
      const header = stream.header;
      if (index >= limits.maxEntries) throw tooManyEntries(limits);
      const size = header.size ?? 0;
      declaredTotal += size;
      if (declaredTotal > limits.maxTotalBytes) throw tooLargeExpanded(limits);
      let consumed = false;
      yield {
        index: index++,
        name: header.name,
        type: tarEntryType(header.type),
        size,
        compressedSize: null,
        async read(maxBytes) {
          consumed = true;
          if (size > maxBytes) {
            await drain(stream);
            throw new EntryError('too_large', `the file is larger than the per-entry limit of ${mb(maxBytes)} (CBMIR_ARCHIVE_MAX_ENTRY_MB)`);
          }
          try {
            return await collect(stream as unknown as AsyncIterable<Uint8Array>, maxBytes);
          } catch (error) {
            if (error instanceof EntryError) throw error;
            throw corrupt(failure ?? error, gzip);
          }
        },
      };
      // An entry left unread is skipped: the tar stream only moves on once its bytes are drained.
      if (!consumed)
        await drain(stream).catch((error: unknown) => {
          throw corrupt(failure ?? error, gzip);
        });
    }
  } finally {
    input.destroy();
    if (!extract.destroyed) extract.destroy();
  }
}

async function drain(stream: AsyncIterable<unknown>): Promise<void> {
  for await (const _chunk of stream) {
    // discard
  }
}

// ---- folder ---------------------------------------------------------------------------------------

function direntType(entry: Dirent): EntryType {
  if (entry.isSymbolicLink()) return 'symlink';
  if (entry.isDirectory()) return 'directory';
  if (entry.isFile()) return 'file';
  return 'other';
}

/**
 * A folder on the operator's machine (`cbmir ingest <folder>`; uploads are always archives) read like an
 * archive: depth-first, sorted by name. A symbolic link to a regular file is read as that file (the usual
 * way to carve a subset out of a large dataset without copying it); links to folders and dangling links
 * are reported and never followed.
 */
async function* folderEntries(root: string, limits: ArchiveLimits): AsyncGenerator<ArchiveEntry> {
  let index = 0;
  async function* walk(dir: string, prefix: string): AsyncGenerator<ArchiveEntry> {
    const children = (await readdir(dir, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const child of children) {
      const path = join(dir, child.name);
      const name = prefix + child.name;
      let type = direntType(child);
      if (type === 'symlink' && (await stat(path).catch(() => null))?.isFile()) type = 'file';
      if (index >= limits.maxEntries) throw tooManyEntries(limits);
      const size = type === 'file' ? (await stat(path)).size : 0;
      yield {
        index: index++,
        name: type === 'directory' ? `${name}/` : name,
        type,
        size,
        compressedSize: null,
        async read(maxBytes) {
          if (size > maxBytes) {
            throw new EntryError('too_large', `the file is larger than the per-entry limit of ${mb(maxBytes)} (CBMIR_ARCHIVE_MAX_ENTRY_MB)`);
          }
          try {
            return await readFile(path);
          } catch (error) {
            throw new EntryError('read_error', `cannot read the file: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
          }
        },
      };
      if (type === 'directory') yield* walk(path, `${name}/`);
    }
  }
  yield* walk(root, '');
}
