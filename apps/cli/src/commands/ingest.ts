import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { CbmirServices, IngestItem, IngestOutcome } from '@cbmir/api';
import { readLabelledFolder } from '../labelled-folder.ts';
import { createProgress } from '../progress.ts';

const BATCH = 16;

export interface IngestSummary {
  added: number;
  duplicate: number;
  failed: { fileName: string; reason: string }[];
  unlabelled: number;
  labelsWithoutImage: number;
}

/** `cbmir ingest <folder> [--labels labels.csv] [--source name]`: idempotent by content hash. */
export async function ingestFolder(
  services: CbmirServices,
  options: { folder: string; labels?: string | undefined; source?: string | undefined },
): Promise<IngestSummary> {
  const { images, labels, labelsWithoutImage } = await readLabelledFolder(options.folder, options.labels);
  const source = options.source ?? basename(options.folder.replace(/\/+$/, ''));

  const summary: IngestSummary = { added: 0, duplicate: 0, failed: [], unlabelled: 0, labelsWithoutImage: 0 };
  const progress = createProgress('ingest', images.length);
  for (let start = 0; start < images.length; start += BATCH) {
    const items: IngestItem[] = await Promise.all(
      images.slice(start, start + BATCH).map(async ({ path, fileName, label }) => {
        if (!label && labels.size > 0) summary.unlabelled++;
        return { fileName, bytes: await readFile(path), grade: label?.grade ?? null, eye: label?.eye ?? null, patientRef: label?.patientRef ?? null, source };
      }),
    );
    const outcomes: IngestOutcome[] = await services.ingest.ingestBatch(items);
    for (const outcome of outcomes) {
      if (outcome.status === 'added') summary.added++;
      else if (outcome.status === 'duplicate') summary.duplicate++;
      else summary.failed.push({ fileName: outcome.fileName, reason: outcome.reason });
    }
    progress.update(Math.min(start + BATCH, images.length), `added ${summary.added}, skipped ${summary.duplicate}, failed ${summary.failed.length}`);
  }
  progress.stop();
  summary.labelsWithoutImage = labelsWithoutImage;
  return summary;
}

export function formatIngestSummary(summary: IngestSummary, labelled: boolean): string {
  const lines = [
    `added ${summary.added}, skipped ${summary.duplicate} (already stored), failed ${summary.failed.length}`,
  ];
  if (labelled) {
    lines.push(`${summary.unlabelled} image(s) had no label (stored with grade unknown); ${summary.labelsWithoutImage} label(s) matched no image`);
  }
  for (const failure of summary.failed.slice(0, 50)) lines.push(`  failed ${failure.fileName}: ${failure.reason}`);
  if (summary.failed.length > 50) lines.push(`  ... and ${summary.failed.length - 50} more`);
  return lines.join('\n');
}
