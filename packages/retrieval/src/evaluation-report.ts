import type { EvaluationResult } from './evaluation-run.ts';

/** What was evaluated: a model version (or a model directory / untrained spec) and one of its layers. */
export interface EvaluatedSource {
  /** Column title in tables: "model" or "model [layer]". */
  label: string;
  /** Model version id; null for a model directory that is not registered. */
  modelVersionId: string | null;
  modelName: string;
  architecture: string;
  inputSize: number;
  trained: boolean;
  /** metadata.info.kind of a saved model ('siamese', 'supervised', ...), when it says. */
  kind: string | null;
  /** The layer evaluated; null: the model's own output (its embedding). */
  layer: string | null;
  /** Width of the vectors ranked. */
  dimensions: number;
}

export interface EvaluatedData {
  /** Folder name. */
  name: string;
  images: number;
  /** Images without a grade, left out. */
  unlabelled: number;
  fingerprint: string;
}

export interface EvaluationMapPoint {
  /** The stored case when this picture is in the database; null otherwise. */
  imageId: string | null;
  sha256: string;
  x: number;
  y: number;
  grade: number;
}

export interface EvaluationTimings {
  /** Reading, hashing and label matching (shared by every source of one run). */
  readSeconds: number;
  embedSeconds: number;
  rankSeconds: number;
  mapSeconds: number;
  totalSeconds: number;
}

/** One evaluation of one source on one data set: what `cbmir eval --json` prints and the database keeps. */
export interface EvaluationReport {
  /** Evaluation id in the database; null when it was not stored. */
  id: string | null;
  createdAt: string;
  source: EvaluatedSource;
  data: EvaluatedData;
  gallery: EvaluatedData | null;
  result: EvaluationResult;
  /** Embeddings reused from the database / the on-disk cache, and newly computed. */
  embeddings: { fromDatabase: number; fromCache: number; computed: number };
  map: EvaluationMapPoint[] | null;
  timings: EvaluationTimings;
}
