import { createHash } from 'node:crypto';

export interface FingerprintItem {
  /** SHA-256 of the image's bytes. */
  sha256: string;
  grade: number | null;
  patient: string | null;
  eye: string | null;
}

/**
 * Identifies an evaluation set: SHA-256 over the sorted lines "sha256,grade,patient,eye". The same
 * pictures with the same labels give the same fingerprint, whatever their file names or order; one
 * changed label gives another.
 */
export function evaluationSetFingerprint(items: FingerprintItem[]): string {
  const lines = items.map((item) => [item.sha256, item.grade ?? '', item.patient ?? '', item.eye ?? ''].join(',')).sort();
  return createHash('sha256').update(lines.join('\n')).digest('hex');
}
