/** Euclidean distances between embeddings; three decimals separate close neighbours at any scale we see. */
export function formatDistance(distance: number): string {
  if (distance !== 0 && Math.abs(distance) < 0.001) return distance.toExponential(2);
  return distance.toFixed(3);
}
