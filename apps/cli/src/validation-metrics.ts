import type { TrainingItem, ValidationMetrics } from '@cbmir/embedder';
import { evaluateRetrieval } from '@cbmir/retrieval';

/**
 * Retrieval quality of validation embeddings during training: every image queries the others, its own
 * patient excluded; relevant = same grade. The same evaluation `cbmir eval` runs, reduced to the numbers
 * that pick the best epoch.
 */
export function validationMetrics(embeddings: Float32Array[], items: TrainingItem[]): ValidationMetrics {
  const report = evaluateRetrieval({
    queries: embeddings.map((vector, i) => ({ vector, grade: items[i]!.grade, patientId: items[i]!.patientId })),
  });
  return { map: report.map, macroMap: report.macroMap, mrr: report.mrr, precisionAt10: report.precisionAt10 };
}
