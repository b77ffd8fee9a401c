import { randomUUID } from 'node:crypto';
import type { Evaluation, EvaluationMapPoint, EvaluationMetrics, EvaluationPrCurve } from '@cbmir/contract';
import type { SqlClient } from './sql-client.ts';

export type EvaluationProtocol = Evaluation['protocol'];

/**
 * The rest of what an evaluation records (the `details` JSON column): the source evaluated, where its vectors
 * came from, how long each stage took, how many pictures failed. Rows written before `embeddings` and
 * `timings` were recorded lack them.
 */
export interface EvaluationDetails {
  source?: unknown;
  embeddings?: Evaluation['embeddings'];
  timings?: Evaluation['timings'];
  failed?: number;
}

export interface NewEvaluation {
  modelVersionId: string;
  /** null: the version's own embedding output. */
  layer: string | null;
  protocol: EvaluationProtocol;
  dataName: string;
  dataFingerprint: string;
  galleryName: string | null;
  galleryFingerprint: string | null;
  queryCount: number;
  galleryCount: number;
  dimensions: number;
  // The JSON columns, in the shapes the REST API reports them (contract Evaluation): typed here, where they are read.
  metrics: EvaluationMetrics;
  prCurve: EvaluationPrCurve;
  mapPoints: EvaluationMapPoint[] | null;
  details: EvaluationDetails;
}

export interface StoredEvaluation extends NewEvaluation {
  id: string;
  createdAt: Date;
}

interface EvaluationRow {
  id: string;
  model_version_id: string;
  layer: string | null;
  protocol: EvaluationProtocol;
  data_name: string;
  data_fingerprint: string;
  gallery_name: string | null;
  gallery_fingerprint: string | null;
  query_count: number;
  gallery_count: number;
  dimensions: number;
  metrics: EvaluationMetrics | string;
  pr_curve: EvaluationPrCurve | string;
  map_points: EvaluationMapPoint[] | string | null;
  details: EvaluationDetails | string;
  created_at: Date | string;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toEvaluation(row: EvaluationRow): StoredEvaluation {
  return {
    id: row.id,
    modelVersionId: row.model_version_id,
    layer: row.layer,
    protocol: row.protocol,
    dataName: row.data_name,
    dataFingerprint: row.data_fingerprint,
    galleryName: row.gallery_name,
    galleryFingerprint: row.gallery_fingerprint,
    queryCount: row.query_count,
    galleryCount: row.gallery_count,
    dimensions: row.dimensions,
    metrics: json(row.metrics),
    prCurve: json(row.pr_curve),
    mapPoints: row.map_points === null ? null : json(row.map_points),
    details: json(row.details),
    createdAt: new Date(row.created_at),
  };
}

/** Retrieval evaluations per model version; kept as a history (an evaluation is never changed). */
export function evaluationRepositoryFactory(db: SqlClient) {
  return {
    async create(evaluation: NewEvaluation): Promise<StoredEvaluation> {
      const rows = await db.query<EvaluationRow>(
        `INSERT INTO evaluations (id, model_version_id, layer, protocol, data_name, data_fingerprint, gallery_name,
                                  gallery_fingerprint, query_count, gallery_count, dimensions, metrics, pr_curve,
                                  map_points, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
         RETURNING *`,
        [
          randomUUID(),
          evaluation.modelVersionId,
          evaluation.layer,
          evaluation.protocol,
          evaluation.dataName,
          evaluation.dataFingerprint,
          evaluation.galleryName,
          evaluation.galleryFingerprint,
          evaluation.queryCount,
          evaluation.galleryCount,
          evaluation.dimensions,
          JSON.stringify(evaluation.metrics),
          JSON.stringify(evaluation.prCurve),
          evaluation.mapPoints === null ? null : JSON.stringify(evaluation.mapPoints),
          JSON.stringify(evaluation.details),
        ],
      );
      return toEvaluation(rows[0]!);
    },

    async findById(id: string): Promise<StoredEvaluation | null> {
      const rows = await db.query<EvaluationRow>(`SELECT * FROM evaluations WHERE id = $1`, [id]);
      return rows[0] ? toEvaluation(rows[0]) : null;
    },

    /** A version's evaluations, newest first; pass the last id of a page as `before` for the next one. */
    async listForModel(modelVersionId: string, options: { limit: number; before?: string | undefined }): Promise<StoredEvaluation[]> {
      const rows = options.before
        ? await db.query<EvaluationRow>(
            `SELECT e.* FROM evaluations e, evaluations b
             WHERE b.id = $2 AND e.model_version_id = $1 AND (e.created_at, e.id) < (b.created_at, b.id)
             ORDER BY e.created_at DESC, e.id DESC LIMIT $3`,
            [modelVersionId, options.before, options.limit],
          )
        : await db.query<EvaluationRow>(`SELECT * FROM evaluations WHERE model_version_id = $1 ORDER BY created_at DESC, id DESC LIMIT $2`, [
            modelVersionId,
            options.limit,
          ]);
      return rows.map(toEvaluation);
    },
  };
}

export type EvaluationRepository = ReturnType<typeof evaluationRepositoryFactory>;
