/**
 * The validation metrics a training run stores with a model version (metrics.validation: map, macroMap,
 * mrr, precisionAt10, voteKappa), read defensively: metrics is free-form JSON and older versions lack it.
 */
export interface ValidationSummary {
  map: number | null;
  macroMap: number | null;
  mrr: number | null;
  bestEpoch: number | null;
  /** The same metrics of the network before training, for comparison. */
  untrainedMap: number | null;
}

const num = (value: unknown): number | null => (typeof value === 'number' && Number.isFinite(value) ? value : null);
const record = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : null;

export function validationSummary(metrics: Record<string, unknown> | null): ValidationSummary | null {
  if (!metrics) return null;
  const validation = record(metrics.validation);
  const untrained = record(metrics.untrainedValidation);
  const summary: ValidationSummary = {
    map: num(validation?.map),
    macroMap: num(validation?.macroMap),
    mrr: num(validation?.mrr),
    bestEpoch: num(metrics.bestEpoch),
    untrainedMap: num(untrained?.map),
  };
  return summary.map === null && summary.macroMap === null && summary.mrr === null ? null : summary;
}
