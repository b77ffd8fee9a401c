import { open } from 'node:fs/promises';

export type ArchiveFormat = 'zip' | 'tar' | 'tar.gz';

export const ARCHIVE_FORMATS: readonly ArchiveFormat[] = ['zip', 'tar', 'tar.gz'];

const startsWith = (bytes: Uint8Array, signature: readonly number[], offset = 0) =>
  bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

/** POSIX/GNU tar: "ustar" at offset 257 of the first header block. */
const isTarHeader = (bytes: Uint8Array) => startsWith(bytes, [0x75, 0x73, 0x74, 0x61, 0x72], 257);

/**
 * The archive format from the leading bytes, never from the client's file name. Gzip is taken for
 * .tar.gz; whether a tar is inside shows when it is read. Old v7 tars without the ustar magic are not
 * recognised (no fundus dataset ships one).
 */
export function sniffArchiveFormat(head: Uint8Array): ArchiveFormat | null {
  // Local file header, or the end-of-central-directory record of an empty zip.
  if (startsWith(head, [0x50, 0x4b, 0x03, 0x04]) || startsWith(head, [0x50, 0x4b, 0x05, 0x06])) return 'zip';
  if (startsWith(head, [0x1f, 0x8b])) return 'tar.gz';
  if (isTarHeader(head)) return 'tar';
  return null;
}

export async function sniffArchiveFile(path: string): Promise<ArchiveFormat | null> {
  const file = await open(path, 'r');
  try {
    const head = new Uint8Array(512);
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    return sniffArchiveFormat(head.subarray(0, bytesRead));
  } finally {
    await file.close();
  }
}

/**
 * Other archive and compression formats, recognised inside an archive so that a nested archive is
 * reported as such (and never opened) rather than as an undecodable image.
 */
export function isNestedArchive(bytes: Uint8Array): boolean {
  return (
    sniffArchiveFormat(bytes) !== null ||
    startsWith(bytes, [0x50, 0x4b, 0x07, 0x08]) || // spanned zip
    startsWith(bytes, [0x42, 0x5a, 0x68]) || // bzip2
    startsWith(bytes, [0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]) || // xz
    startsWith(bytes, [0x37, 0x7a, 0xbc, 0xaf, 0x27, 0x1c]) || // 7z
    startsWith(bytes, [0x52, 0x61, 0x72, 0x21, 0x1a, 0x07]) || // rar
    startsWith(bytes, [0x28, 0xb5, 0x2f, 0xfd]) // zstd
  );
}
