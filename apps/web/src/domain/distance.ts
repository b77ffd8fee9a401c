/** Embeddings are L2-normalised, so distances sit in [0, 2]; three decimals separate neighbours well. */
export function formatDistance(distance: number): string {
  if (distance !== 0 && Math.abs(distance) < 0.001) return distance.toExponential(2);
  return distance.toFixed(3);
}
