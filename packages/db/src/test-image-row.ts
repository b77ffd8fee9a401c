import type { NewImage } from './image-repository.ts';

/** For tests: the row of a stored 256x256 JPEG with content hash `sha256` (left eye, grade 2), overridable. */
export function testImageRow(sha256: string, overrides: Partial<NewImage> = {}): NewImage {
  return {
    sha256,
    originalPath: `originals/${sha256}.jpg`,
    thumbnailPath: `thumbnails/${sha256}.jpg`,
    format: 'jpeg',
    width: 256,
    height: 256,
    eye: 'left',
    grade: 2,
    patientRef: null,
    source: 'test',
    ...overrides,
  };
}
