import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

export interface NewModelVersion {
  name: string;
  architecture: string;
  embeddingDim: number;
  inputSize: number;
  preprocessing: Record<string, unknown>;
  spec: Record<string, unknown>;
  weightsPath: string | null;
  trained: boolean;
  metrics?: Record<string, unknown> | null;
}

export interface StoredModelVersion extends Required<NewModelVersion> {
  id: string;
  active: boolean;
  activationRequestedAt: Date | null;
  activatedAt: Date | null;
  createdAt: Date;
}

interface ModelVersionRow {
  id: string;
  name: string;
  architecture: string;
  embedding_dim: number;
  input_size: number;
  preprocessing: Record<string, unknown> | string;
  spec: Record<string, unknown> | string;
  weights_path: string | null;
  trained: boolean;
  active: boolean;
  metrics: Record<string, unknown> | string | null;
  activation_requested_at: Date | string | null;
  activated_at: Date | string | null;
  created_at: Date | string;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

function toModelVersion(row: ModelVersionRow): StoredModelVersion {
  return {
    id: row.id,
    name: row.name,
    architecture: row.architecture,
    embeddingDim: row.embedding_dim,
    inputSize: row.input_size,
    preprocessing: json(row.preprocessing),
    spec: json(row.spec),
    weightsPath: row.weights_path,
    trained: row.trained,
    active: row.active,
    metrics: row.metrics === null ? null : json(row.metrics),
    activationRequestedAt: row.activation_requested_at === null ? null : new Date(row.activation_requested_at),
    activatedAt: row.activated_at === null ? null : new Date(row.activated_at),
    createdAt: new Date(row.created_at),
  };
}

export function modelVersionRepositoryFactory(db: SqlClient) {
  return {
    async create(version: NewModelVersion): Promise<StoredModelVersion> {
      const rows = await db.query<ModelVersionRow>(
        `INSERT INTO model_versions (id, name, architecture, embedding_dim, input_size, preprocessing, spec,
                                     weights_path, trained, metrics)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
         RETURNING *`,
        [
          randomUUID(),
          version.name,
          version.architecture,
          version.embeddingDim,
          version.inputSize,
          JSON.stringify(version.preprocessing),
          JSON.stringify(version.spec),
          version.weightsPath,
          version.trained,
          version.metrics ? JSON.stringify(version.metrics) : null,
        ],
      );
      return toModelVersion(rows[0]!);
    },

    async findActive(): Promise<StoredModelVersion | null> {
      const rows = await db.query<ModelVersionRow>(`SELECT * FROM model_versions WHERE active`);
      return rows[0] ? toModelVersion(rows[0]) : null;
    },

    async findById(id: string): Promise<StoredModelVersion | null> {
      const rows = await db.query<ModelVersionRow>(`SELECT * FROM model_versions WHERE id = $1`, [id]);
      return rows[0] ? toModelVersion(rows[0]) : null;
    },

    async findByName(name: string): Promise<StoredModelVersion | null> {
      const rows = await db.query<ModelVersionRow>(`SELECT * FROM model_versions WHERE name = $1`, [name]);
      return rows[0] ? toModelVersion(rows[0]) : null;
    },

    async list(): Promise<StoredModelVersion[]> {
      const rows = await db.query<ModelVersionRow>(`SELECT * FROM model_versions ORDER BY created_at DESC`);
      return rows.map(toModelVersion);
    },

    /** Makes one version the active one, atomically: search never sees zero or two active versions. */
    async activate(id: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.query(`UPDATE model_versions SET active = false WHERE active AND id <> $1`, [id]);
        const rows = await tx.query(
          `UPDATE model_versions SET active = true, activation_requested_at = NULL, activated_at = now()
           WHERE id = $1 RETURNING id`,
          [id],
        );
        if (rows.length === 0) throw new Error(`unknown model version ${id}`);
      });
    },

    /** Records that a version should go live once its embeddings are complete (see activation service). */
    async requestActivation(id: string): Promise<StoredModelVersion | null> {
      const rows = await db.query<ModelVersionRow>(
        `UPDATE model_versions SET activation_requested_at = COALESCE(activation_requested_at, now())
         WHERE id = $1 AND NOT active RETURNING *`,
        [id],
      );
      return rows[0] ? toModelVersion(rows[0]) : null;
    },

    async cancelActivation(id: string): Promise<void> {
      await db.query(`UPDATE model_versions SET activation_requested_at = NULL WHERE id = $1`, [id]);
    },

    async findPendingActivations(): Promise<StoredModelVersion[]> {
      const rows = await db.query<ModelVersionRow>(
        `SELECT * FROM model_versions WHERE activation_requested_at IS NOT NULL AND NOT active ORDER BY activation_requested_at`,
      );
      return rows.map(toModelVersion);
    },
  };
}

export type ModelVersionRepository = ReturnType<typeof modelVersionRepositoryFactory>;
