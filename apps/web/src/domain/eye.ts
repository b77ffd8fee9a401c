import type { SearchHit } from '@cbmir/contract';

export type Eye = SearchHit['eye'];

/** Clinicians read OD/OS; the words are there for everyone else. For a labelled field ("Eye: ..."). */
export function eyeLabel(eye: Eye): string {
  if (eye === 'right') return 'Right (OD)';
  if (eye === 'left') return 'Left (OS)';
  return 'Unknown';
}

/** For running text and alt texts: "right eye (OD)", "eye not recorded". */
export function eyePhrase(eye: Eye): string {
  if (eye === 'right') return 'right eye (OD)';
  if (eye === 'left') return 'left eye (OS)';
  return 'eye not recorded';
}
