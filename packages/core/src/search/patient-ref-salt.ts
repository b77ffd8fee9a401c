import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * This installation's salt for patient references made from DICOM Patient IDs: created once in the data
 * directory (readable by the server's user only) and kept, so one patient always gets one reference, while
 * a reference means nothing outside this installation. Servers sharing a database share the data volume.
 */
export function patientRefSalt(dataDir: string): string {
  const path = join(dataDir, 'patient-ref.salt');
  try {
    return readFileSync(path, 'utf8').trim();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  mkdirSync(dataDir, { recursive: true });
  try {
    writeFileSync(path, randomBytes(32).toString('hex'), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error; // another process made it first
  }
  return readFileSync(path, 'utf8').trim();
}
