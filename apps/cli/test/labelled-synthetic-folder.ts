import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';

/**
 * For the train tests: `count` synthetic fundus photos in root/images with a cbmir labels CSV (grades 0-4 in
 * turn, two images per patient, left and right). With `linkFrom`, every second image is written there and
 * linked into root/images, as a subset of a dataset is carved out without copying it.
 */
export async function writeLabelledSyntheticFolder(
  root: string,
  options: { count: number; seed: number; linkFrom?: string },
): Promise<{ data: string; labels: string }> {
  const data = join(root, 'images');
  mkdirSync(data, { recursive: true });
  if (options.linkFrom) mkdirSync(options.linkFrom, { recursive: true });
  const rows = ['file,grade,patient_id,eye'];
  for (let i = 0; i < options.count; i++) {
    const grade = (i % 5) as FundusGrade;
    const name = `img-${i}.jpg`;
    const linked = options.linkFrom !== undefined && i % 2 === 1;
    const file = join(linked ? options.linkFrom! : data, name);
    writeFileSync(file, await generateSyntheticFundus({ seed: options.seed + i, grade, size: 128 }));
    if (linked) symlinkSync(file, join(data, name));
    rows.push(`${name},${grade},p${Math.floor(i / 2)},${i % 2 ? 'right' : 'left'}`);
  }
  const labels = join(root, 'labels.csv');
  writeFileSync(labels, rows.join('\n'));
  return { data, labels };
}
