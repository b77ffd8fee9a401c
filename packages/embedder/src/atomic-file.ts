import { rename, rm, writeFile } from 'node:fs/promises';

/**
 * Writes `file` through a temporary sibling and renames it into place, so a reader (or a run killed
 * mid-write) never sees half a file; the temporary file is removed when the write fails.
 */
export async function writeFileAtomically(file: string, data: string | Uint8Array): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  try {
    await writeFile(tmp, data);
    await rename(tmp, file);
  } catch (error) {
    await rm(tmp, { force: true });
    throw error;
  }
}
