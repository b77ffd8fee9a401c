import { randomUUID } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `file` through a temporary sibling and renames it into place, so a reader (or a run killed
 * mid-write) never sees half a file; the temporary file is removed when the write fails (a full disk must not
 * stay fuller). The temporary name is this write's own, so two writes of one path at once never share it;
 * it ends in `.partial`. After a kill, the orphan sweep removes such a file under the data directory's images and
 * uploads; elsewhere (model directories, checkpoints, backups) it stays beside the file until removed by hand.
 */
export async function writeFileAtomically(file: string, data: string | NodeJS.ArrayBufferView): Promise<void> {
  const partial = `${file}.${process.pid}.${randomUUID().slice(0, 8)}.partial`;
  try {
    await writeFile(partial, data);
    await rename(partial, file);
  } catch (error) {
    await rm(partial, { force: true });
    throw error;
  }
}
