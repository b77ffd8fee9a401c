import { detectLabelLayout, type LabelLayout } from '../labels/label-file.ts';
import { EntryError, readArchiveEntries, type InputFormat } from './archive-entries.ts';
import { MAX_LABEL_FILE_BYTES, type ArchiveLimits } from './archive-limits.ts';
import { headerProblem, isIgnoredEntry } from './entry-policy.ts';

export interface FoundLabelFile {
  /** Entry index: the entry is a label file, not an item. */
  index: number;
  name: string;
  layout: LabelLayout;
  text: string;
}

export interface ArchiveInspection {
  format: InputFormat;
  /** Entries that will be reported on (everything but folders, OS metadata and label files). */
  items: number;
  labelFiles: FoundLabelFile[];
}

/**
 * Reads an archive through once before a job is created: checks its structure and the archive-wide limits
 * (so a truncated archive or a bomb is refused up front, with a 4xx, before anything is stored), counts
 * its items for progress and ETA, and finds label files by their header. A zip is read from its central
 * directory without inflating the images; a tar has to be streamed through.
 * Throws ArchiveError.
 */
export async function inspectArchive(path: string, format: InputFormat, limits: ArchiveLimits): Promise<ArchiveInspection> {
  let items = 0;
  const labelFiles: FoundLabelFile[] = [];
  for await (const entry of readArchiveEntries(path, format, limits)) {
    if (isIgnoredEntry(entry)) continue;
    if (/\.csv$/i.test(entry.name) && !headerProblem(entry, limits) && entry.size <= MAX_LABEL_FILE_BYTES) {
      try {
        const text = (await entry.read(MAX_LABEL_FILE_BYTES)).toString('utf8');
        const layout = detectLabelLayout(text);
        if (layout) {
          labelFiles.push({ index: entry.index, name: entry.name, layout, text });
          continue;
        }
      } catch (error) {
        if (!(error instanceof EntryError)) throw error;
      }
    }
    items++;
  }
  return { format, items, labelFiles };
}
