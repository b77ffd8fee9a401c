/**
 * Cohen's kappa with quadratic weights (the Kaggle DR challenge's metric): 1 - sum(W.O) / sum(W.E), where
 * O is the confusion matrix, E the one expected from the two marginals alone and W[i][j] = (i-j)^2/(K-1)^2.
 * 1 is perfect agreement, 0 chance, below 0 worse than chance. Null when it is undefined (no items, or
 * both raters always say the same single grade).
 */
export function quadraticWeightedKappa(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes = 5): number | null {
  if (actual.length !== predicted.length) throw new RangeError('actual and predicted differ in length');
  const n = actual.length;
  if (n === 0) return null;
  const observed = confusionMatrix(actual, predicted, classes);
  const actualTotals = observed.map((row) => row.reduce((a, b) => a + b, 0));
  const predictedTotals = observed[0]!.map((_, j) => observed.reduce((sum, row) => sum + row[j]!, 0));
  let disagreement = 0;
  let expected = 0;
  for (let i = 0; i < classes; i++) {
    for (let j = 0; j < classes; j++) {
      const weight = ((i - j) * (i - j)) / ((classes - 1) * (classes - 1));
      disagreement += weight * observed[i]![j]!;
      expected += (weight * actualTotals[i]! * predictedTotals[j]!) / n;
    }
  }
  return expected === 0 ? null : 1 - disagreement / expected;
}

/** counts[actual][predicted]. */
export function confusionMatrix(actual: ArrayLike<number>, predicted: ArrayLike<number>, classes = 5): number[][] {
  const counts = Array.from({ length: classes }, () => new Array<number>(classes).fill(0));
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i]!;
    const p = predicted[i]!;
    if (!(a >= 0 && a < classes && p >= 0 && p < classes)) throw new RangeError(`grade out of range: ${a} / ${p}`);
    counts[a]![p]!++;
  }
  return counts;
}
