import { vectorMatrix } from './exact-knn.ts';
import { runEvaluation, type EvaluationResult, type LabelledItem } from './evaluation-run.ts';

export interface RetrievalQuery {
  vector: ArrayLike<number>;
  grade: number;
  patientId?: string | null | undefined;
  /** Identifies the picture (content hash) so copies are not matched; default: every query is distinct. */
  key?: string | undefined;
}

/** The headline numbers as plain numbers (NaN where undefined), with the full result beside them. */
export interface RetrievalSummary {
  map: number;
  macroMap: number;
  mrr: number;
  precisionAt10: number;
  chanceMap: number;
  result: EvaluationResult;
}

/**
 * runEvaluation for vectors in hand (training's validation, notebooks): each query searches the others
 * minus its own patient, or `gallery` when given; relevant = same grade.
 */
export function evaluateRetrieval(input: { queries: RetrievalQuery[]; gallery?: RetrievalQuery[]; seed?: number; chanceRepeats?: number }): RetrievalSummary {
  const toSet = (queries: RetrievalQuery[], prefix: string) => ({
    items: queries.map((q, i): LabelledItem => ({ key: q.key ?? `${prefix}${i}`, grade: q.grade, patient: q.patientId ?? null })),
    vectors: vectorMatrix(queries.map((q) => q.vector)),
  });
  const result = runEvaluation(toSet(input.queries, 'q'), {
    gallery: input.gallery ? toSet(input.gallery, 'g') : undefined,
    seed: input.seed ?? 42,
    chanceRepeats: input.chanceRepeats ?? 0,
  });
  const n = (value: number | null) => value ?? Number.NaN;
  return {
    map: n(result.overall.map),
    macroMap: n(result.overall.macroMap),
    mrr: n(result.overall.mrr),
    precisionAt10: n(result.overall.precisionAt10),
    chanceMap: n(result.chance.map),
    result,
  };
}
