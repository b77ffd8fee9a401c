import type { TrainingItem, ValidationMetrics } from '@cbmir/embedder';
import { runEvaluation, vectorMatrix } from '@cbmir/retrieval';

/**
 * Retrieval quality of validation embeddings during training: every image queries the others, its own
 * patient excluded; relevant = same grade. The same evaluation `cbmir eval` runs, reduced to the numbers
 * that pick the best epoch.
 */
export function validationMetrics(embeddings: Float32Array[], items: TrainingItem[]): ValidationMetrics {
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
