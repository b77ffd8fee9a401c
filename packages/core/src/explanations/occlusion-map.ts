/**
 * Occlusion sensitivity (Zeiler & Fergus, 2014) for a distance between embeddings: a grid of patches is
 * slid over the preprocessed image, each patch in turn is filled with the preprocessed image's own
 * background (no local contrast), and the L2 distance from the occluded image's embedding to a
 * reference embedding is measured. A cell whose occlusion raises the distance holds something the two
 * images share; one that lowers it holds something that sets them apart.
 */
export interface OcclusionMapInput {
  /** The preprocessed image: size * size * 3 values, HWC. */
  image: Float32Array;
  size: number;
  /** The embedding to measure distances to (the other image's). */
  reference: ArrayLike<number>;
  /** Cells per side. */
  grid: number;
  /** The value an occluded pixel gets. */
  fill: number;
  /** Embeds preprocessed inputs in one call, in order (the serving engine's batched path). */
  embed(inputs: Float32Array[]): Promise<Float32Array[]>;
}

export interface OcclusionMap {
  rows: number;
  cols: number;
  /** L2 distance of the unoccluded image's embedding to the reference. */
  baseDistance: number;
  /** [row][col]: the distance with that cell occluded, minus baseDistance. */
  deltas: number[][];
  /** Images embedded: one per cell plus the unoccluded one. */
  forwardPasses: number;
}

/** The pixel bounds [start, end) of cell `index` of `grid` along a side of `size` pixels. */
export function cellBounds(index: number, grid: number, size: number): [number, number] {
  return [Math.round((index * size) / grid), Math.round(((index + 1) * size) / grid)];
}

export function l2Distance(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new RangeError(`embeddings of ${a.length} and ${b.length} dimensions do not compare`);
  let sum = 0;
  for (let i = 0; i < a.length; i++) sum += (a[i]! - b[i]!) ** 2;
  return Math.sqrt(sum);
}

/** The image with one cell filled: a copy, so the batch holds every variant at once. */
export function occludeCell(image: Float32Array, size: number, grid: number, row: number, col: number, fill: number): Float32Array {
  const out = new Float32Array(image);
  const [y0, y1] = cellBounds(row, grid, size);
  const [x0, x1] = cellBounds(col, grid, size);
  for (let y = y0; y < y1; y++) out.fill(fill, (y * size + x0) * 3, (y * size + x1) * 3);
  return out;
}

export async function occlusionMap(input: OcclusionMapInput): Promise<OcclusionMap> {
  const { image, size, grid, fill } = input;
  if (image.length !== size * size * 3) throw new RangeError(`image has ${image.length} values, expected ${size}x${size}x3`);
  if (!Number.isInteger(grid) || grid < 1 || grid > size) throw new RangeError(`grid must be an integer from 1 to ${size}, got ${grid}`);
  const variants = [image];
  for (let row = 0; row < grid; row++) for (let col = 0; col < grid; col++) variants.push(occludeCell(image, size, grid, row, col, fill));
  // One call: the batcher splits it into forward passes of its batch size.
  const embeddings = await input.embed(variants);
  const distances = embeddings.map((embedding) => l2Distance(embedding, input.reference));
  const baseDistance = distances[0]!;
  const deltas = Array.from({ length: grid }, (_, row) => Array.from({ length: grid }, (_, col) => distances[1 + row * grid + col]! - baseDistance));
  return { rows: grid, cols: grid, baseDistance, deltas, forwardPasses: variants.length };
}
