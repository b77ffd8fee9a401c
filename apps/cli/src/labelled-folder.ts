import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { labelKey, parseLabelsCsv, type ImageLabel } from './labels-csv.ts';
import { UsageError } from './usage-error.ts';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.tif', '.tiff', '.webp']);

export interface FolderImage {
  /** Absolute path on disk. */
  path: string;
  /** Path relative to the folder, as reports show it. */
  fileName: string;
  label: ImageLabel | null;
}

/** Every JPEG/PNG/TIFF/WebP under a folder (recursively), sorted, with its label when a CSV is given. */
export async function readLabelledFolder(
  folder: string,
  labelsPath?: string,
): Promise<{ images: FolderImage[]; labels: Map<string, ImageLabel>; labelsWithoutImage: number }> {
  const folderStat = await stat(folder).catch(() => null);
  if (!folderStat?.isDirectory()) throw new UsageError(`not a folder: ${folder}`);
  const labels = labelsPath
    ? parseLabelsCsv(
        await readFile(labelsPath, 'utf8').catch(() => {
          throw new UsageError(`cannot read the labels file ${labelsPath}`);
        }),
        basename(labelsPath),
      )
    : new Map<string, ImageLabel>();
  const entries = await readdir(folder, { withFileTypes: true, recursive: true });
  const candidates = entries.filter((e) => (e.isFile() || e.isSymbolicLink()) && IMAGE_EXTENSIONS.has(extname(e.name).toLowerCase()));
  // Symbolic links to image files count (the usual way to carve a subset out of a large dataset without
  // copying it); a link to a folder is not followed, and a dangling link is left out.
  const isImageFile = async (e: (typeof candidates)[number]) => e.isFile() || ((await stat(join(e.parentPath, e.name)).catch(() => null))?.isFile() ?? false);
  const keep = await Promise.all(candidates.map(isImageFile));
  const images = candidates
    .filter((_, i) => keep[i])
    .map((e) => join(e.parentPath, e.name))
    .sort()
    .map((path) => {
      const fileName = relative(folder, path);
      return { path, fileName, label: labels.get(labelKey(fileName)) ?? null };
    });
  if (images.length === 0) throw new UsageError(`no JPEG/PNG/TIFF/WebP images in ${folder}`);
  const seen = new Set(images.map((image) => labelKey(image.fileName)));
  return { images, labels, labelsWithoutImage: [...labels.keys()].filter((key) => !seen.has(key)).length };
}
