import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import type { CbmirServices, IngestItem, IngestOutcome } from '@cbmir/api';
import { labelKey, parseLabelsCsv, type ImageLabel } from '../labels-csv.ts';
import { createProgress } from '../progress.ts';
import { UsageError } from '../usage-error.ts';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp']);
const BATCH = 16;

async function listImages(folder: string): Promise<string[]> {
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  return entries
    .filter((e) => e.isFile() && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()))
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

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
  const folderStat = await stat(options.folder).catch(() => null);
  if (!folderStat?.isDirectory()) throw new UsageError(`not a folder: ${options.folder}`);
  const labels: Map<string, ImageLabel> = options.labels
    ? parseLabelsCsv(await readFile(options.labels, 'utf8').catch(() => {
        throw new UsageError(`cannot read the labels file ${options.labels}`);
      }), basename(options.labels))
    : new Map();
  const files = await listImages(options.folder);
  if (files.length === 0) throw new UsageError(`no JPEG/PNG/TIFF/WebP images in ${options.folder}`);
  const source = options.source ?? basename(options.folder.replace(/\/+$/, ''));

  const summary: IngestSummary = { added: 0, duplicate: 0, failed: [], unlabelled: 0, labelsWithoutImage: 0 };
  const seen = new Set<string>();
  const progress = createProgress('ingest', files.length);
  for (let start = 0; start < files.length; start += BATCH) {
    const items: IngestItem[] = await Promise.all(
      files.slice(start, start + BATCH).map(async (path) => {
        const fileName = relative(options.folder, path);
        const label = labels.get(labelKey(fileName));
        seen.add(labelKey(fileName));
        if (!label) summary.unlabelled++;
        return { fileName, bytes: await readFile(path), grade: label?.grade ?? null, eye: label?.eye ?? null, patientRef: label?.patientRef ?? null, source };
      }),
    );
    const outcomes: IngestOutcome[] = await services.ingest.ingestBatch(items);
    for (const outcome of outcomes) {
      if (outcome.status === 'added') summary.added++;
      else if (outcome.status === 'duplicate') summary.duplicate++;
      else summary.failed.push({ fileName: outcome.fileName, reason: outcome.reason });
    }
    progress.update(Math.min(start + BATCH, files.length), `added ${summary.added}, skipped ${summary.duplicate}, failed ${summary.failed.length}`);
  }
  progress.stop();
  summary.labelsWithoutImage = [...labels.keys()].filter((key) => !seen.has(key)).length;
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
