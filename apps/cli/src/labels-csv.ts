import { LabelFileError, labelKey, parseLabelFile, type ImageLabel } from '@cbmir/core';
import { UsageError } from './usage-error.ts';

// The one label-file parser lives in the core (packages/core/src/labels/label-file.ts), shared by archive
// uploads and the CLI; this adapter only turns its errors into usage errors (exit code 2).
export { labelKey, type ImageLabel };

/** Reads a label file in any recognised layout (EyePACS, APTOS, cbmir), keyed by labelKey(file name). */
export function parseLabelsCsv(text: string, sourceName = 'labels.csv'): Map<string, ImageLabel> {
  try {
    return parseLabelFile(text, sourceName).labels;
  } catch (error) {
    if (error instanceof LabelFileError) throw new UsageError(error.message);
    throw error;
  }
}
