import { Readable } from 'node:stream';
import { buffer as collect } from 'node:stream/consumers';
import { crc32, deflateRawSync, gzipSync } from 'node:zlib';
import * as tar from 'tar-stream';

/** One entry of an archive made for a test or a benchmark. */
export interface ArchiveFileSpec {
  /** Written exactly as given: tests need "../" and absolute names that real tools would refuse. */
  name: string;
  data?: Uint8Array | string;
  type?: 'file' | 'directory' | 'symlink' | 'link';
  /** Link target for symlink / link entries. */
  target?: string;
  /** zip: deflate the data (default true). */
  deflate?: boolean;
  /** zip: the uncompressed size the headers declare, to build entries that lie about it. */
  declaredSize?: number;
}

const bytesOf = (data: Uint8Array | string | undefined) => (typeof data === 'string' ? Buffer.from(data) : Buffer.from(data ?? new Uint8Array()));

/**
 * A zip archive in memory, written by hand so it can hold what zip tools refuse to write (unsafe names,
 * symlinks, lying sizes). Unix "made by", so file types travel in the external attributes.
 */
export function buildZip(files: ArchiveFileSpec[]): Buffer {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const file of files) {
    const type = file.type ?? 'file';
    const name = Buffer.from(type === 'directory' && !file.name.endsWith('/') ? `${file.name}/` : file.name);
    const data = type === 'symlink' || type === 'link' ? Buffer.from(file.target ?? '') : bytesOf(file.data);
    const deflate = type === 'file' && (file.deflate ?? true) && data.length > 0;
    const stored = deflate ? deflateRawSync(data) : data;
    const crc = crc32(data) >>> 0;
    const size = file.declaredSize ?? data.length;
    const mode = type === 'directory' ? 0o040755 : type === 'symlink' ? 0o120777 : 0o100644;
    const method = deflate ? 8 : 0;

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(method, 8);
    local.writeUInt16LE(0, 10);
    local.writeUInt16LE(0x21, 12); // 1980-01-01
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(stored.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    local.writeUInt16LE(0, 28);
    locals.push(local, name, stored);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by Unix
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x0800, 8);
    central.writeUInt16LE(method, 10);
    central.writeUInt16LE(0, 12);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(stored.length, 20);
    central.writeUInt32LE(size, 24);
    central.writeUInt16LE(name.length, 28);
    central.writeUInt32LE((mode << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, name);
    offset += local.length + name.length + stored.length;
  }
  const directory = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(files.length, 8);
  end.writeUInt16LE(files.length, 10);
  end.writeUInt32LE(directory.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, directory, end]);
}

/** A tar (gzip: .tar.gz) archive in memory; names are kept as given. */
export async function buildTar(files: ArchiveFileSpec[], options: { gzip?: boolean } = {}): Promise<Buffer> {
  const pack = tar.pack();
  const output = collect(Readable.from(pack as AsyncIterable<Buffer>));
  for (const file of files) {
    const type = file.type ?? 'file';
    if (type === 'symlink' || type === 'link') {
      pack.entry({ name: file.name, type, linkname: file.target ?? '' });
    } else if (type === 'directory') {
      pack.entry({ name: file.name, type: 'directory' });
    } else {
      pack.entry({ name: file.name, type: 'file' }, bytesOf(file.data));
    }
  }
  pack.finalize();
  const archive = await output;
  return options.gzip ? gzipSync(archive) : archive;
}
