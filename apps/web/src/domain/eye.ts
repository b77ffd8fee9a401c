import type { SearchHit } from '@cbmir/contract';

export type Eye = SearchHit['eye'];

/** Clinicians read OD/OS; the words are there for everyone else. */
export function eyeLabel(eye: Eye): string {
  if (eye === 'right') return 'Right (OD)';
  if (eye === 'left') return 'Left (OS)';
  return 'Eye unknown';
}
