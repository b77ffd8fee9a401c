import { runEvaluation } from './evaluation-run.ts';
import { vectorMatrix } from './exact-knn.ts';

/** The numbers that pick a training run's best epoch; `map` decides. (A type, not an interface: it fits an index signature.) */
export type ValidationSummary = {
  map: number;
  macroMap: number;
  mrr: number;
  precisionAt10: number;
  voteKappa: number;
};

/**
 * Retrieval quality of validation embeddings during training (`cbmir train`, the demo model): every image
 * queries the others, its own patient excluded; relevant = same grade. The same evaluation `cbmir eval`
 * runs, reduced to the numbers that pick the best epoch.
 */
export function validationMetrics(embeddings: Float32Array[], items: { id: string; grade: number; patientId: string }[]): ValidationSummary {
  const { overall } = runEvaluation({
    items: items.map((item) => ({ key: item.id, grade: item.grade, patient: item.patientId })),
    vectors: vectorMatrix(embeddings),
  });
  return {
    map: overall.map ?? 0,
    macroMap: overall.macroMap ?? 0,
    mrr: overall.mrr ?? 0,
    precisionAt10: overall.precisionAt10 ?? 0,
    voteKappa: overall.voteKappa ?? 0,
  };
}
