import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

export type Eye = 'left' | 'right';

export interface NewImage {
  /** Chosen by the caller when it must know the id before the insert (e.g. to link images of one batch). */
  id?: string;
  sha256: string;
  originalPath: string;
  thumbnailPath: string;
  format: string;
  width: number;
  height: number;
  eye: Eye | null;
  grade: number | null;
  patientRef: string | null;
  source: string;
  metadata?: Record<string, unknown>;
}

export interface StoredImage extends Required<Omit<NewImage, 'id'>> {
  id: string;
  createdAt: Date;
  /** Why the stored original cannot be read or decoded; null while it can (see markUnreadable). */
  unreadableReason: string | null;
}

interface ImageRow {
  id: string;
  sha256: string;
  original_path: string;
  thumbnail_path: string;
  format: string;
  width: number;
  height: number;
  eye: Eye | null;
  grade: number | null;
  patient_ref: string | null;
  source: string;
  metadata: Record<string, unknown> | string;
  created_at: Date | string;
  unreadable_reason: string | null;
}

function toImage(row: ImageRow): StoredImage {
  return {
    id: row.id,
    sha256: row.sha256,
    originalPath: row.original_path,
    thumbnailPath: row.thumbnail_path,
    format: row.format,
    width: row.width,
    height: row.height,
    eye: row.eye,
    grade: row.grade,
    patientRef: row.patient_ref,
    source: row.source,
    metadata: typeof row.metadata === 'string' ? JSON.parse(row.metadata) : row.metadata,
    createdAt: new Date(row.created_at),
    unreadableReason: row.unreadable_reason,
  };
}

export function imageRepositoryFactory(db: SqlClient) {
  return {
    /** Inserts unless an image with the same content hash exists; returns the stored row either way. */
    async insertOrGet(image: NewImage): Promise<{ image: StoredImage; inserted: boolean }> {
      const inserted = await db.query<ImageRow>(
        `INSERT INTO images (id, sha256, original_path, thumbnail_path, format, width, height, eye, grade,
                             patient_ref, source, metadata)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (sha256) DO NOTHING
         RETURNING *`,
        [
          image.id ?? randomUUID(),
          image.sha256,
          image.originalPath,
          image.thumbnailPath,
          image.format,
          image.width,
          image.height,
          image.eye,
          image.grade,
          image.patientRef,
          image.source,
          JSON.stringify(image.metadata ?? {}),
        ],
      );
      if (inserted[0]) return { image: toImage(inserted[0]), inserted: true };
      const existing = await this.findBySha256(image.sha256);
      if (!existing) throw new Error(`image ${image.sha256} vanished during insert`);
      return { image: existing, inserted: false };
    },

    async findById(id: string): Promise<StoredImage | null> {
      const rows = await db.query<ImageRow>(`SELECT * FROM images WHERE id = $1`, [id]);
      return rows[0] ? toImage(rows[0]) : null;
    },

    async findBySha256(sha256: string): Promise<StoredImage | null> {
      const rows = await db.query<ImageRow>(`SELECT * FROM images WHERE sha256 = $1`, [sha256]);
      return rows[0] ? toImage(rows[0]) : null;
    },

    /** The stored images among these content hashes, by hash. */
    async findBySha256Many(hashes: string[]): Promise<Map<string, StoredImage>> {
      if (hashes.length === 0) return new Map();
      const rows = await db.query<ImageRow>(`SELECT * FROM images WHERE sha256 = ANY($1::text[])`, [hashes]);
      return new Map(rows.map((row) => [row.sha256, toImage(row)]));
    },

    async findByIds(ids: string[]): Promise<Map<string, StoredImage>> {
      if (ids.length === 0) return new Map();
      const rows = await db.query<ImageRow>(`SELECT * FROM images WHERE id = ANY($1::uuid[])`, [ids]);
      return new Map(rows.map((row) => [row.id, toImage(row)]));
    },

    /**
     * The stored original of this image cannot be read or decoded: it is left out of (re-)embedding from now
     * on (embeddingRepository.imagesWithout). Returns false when it was marked already (or is gone).
     */
    async markUnreadable(id: string, reason: string): Promise<boolean> {
      const rows = await db.query<{ id: string }>(
        `UPDATE images SET unreadable_reason = $2, unreadable_at = now() WHERE id = $1 AND unreadable_at IS NULL RETURNING id`,
        [id, reason],
      );
      return rows.length > 0;
    },

    /** Its original was stored again (ingesting the same content): it is embedded like any other image. */
    async clearUnreadable(id: string): Promise<void> {
      await db.query(`UPDATE images SET unreadable_reason = NULL, unreadable_at = NULL WHERE id = $1`, [id]);
    },

    /** Images whose original cannot be read or decoded. */
    async countUnreadable(): Promise<number> {
      const rows = await db.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM images WHERE unreadable_at IS NOT NULL`);
      return Number(rows[0]?.n ?? 0);
    },

    async count(options: { source?: string } = {}): Promise<number> {
      const rows = await db.query<{ n: number | string }>(`SELECT count(*)::int AS n FROM images WHERE ($1::text IS NULL OR source = $1)`, [
        options.source ?? null,
      ]);
      return Number(rows[0]?.n ?? 0);
    },

    /** The other images of this image's patient: its other eye first, then oldest first. Empty without a patient reference. */
    async samePatient(imageId: string, limit: number): Promise<StoredImage[]> {
      const rows = await db.query<ImageRow>(
        `SELECT o.* FROM images i JOIN images o ON o.patient_ref = i.patient_ref AND o.id <> i.id
         WHERE i.id = $1
         ORDER BY (o.eye IS NOT DISTINCT FROM i.eye), o.created_at, o.id LIMIT $2`,
        [imageId, limit],
      );
      return rows.map(toImage);
    },

    /** The ingest job and archive entry that added this image; null for images added otherwise (demo, CLI before jobs). */
    async addedBy(imageId: string): Promise<{ jobId: string; fileName: string } | null> {
      const rows = await db.query<{ job_id: string; file_name: string }>(
        `SELECT job_id, file_name FROM job_items WHERE image_id = $1 AND status = 'added' ORDER BY created_at LIMIT 1`,
        [imageId],
      );
      return rows[0] ? { jobId: rows[0].job_id, fileName: rows[0].file_name } : null;
    },

    /** Oldest first; optionally only one source (dataset, archive, 'demo'). */
    async list(options: { source?: string; limit: number; offset?: number }): Promise<StoredImage[]> {
      const rows = await db.query<ImageRow>(`SELECT * FROM images WHERE ($1::text IS NULL OR source = $1) ORDER BY created_at, id LIMIT $2 OFFSET $3`, [
        options.source ?? null,
        options.limit,
        options.offset ?? 0,
      ]);
      return rows.map(toImage);
    },
  };
}

export type ImageRepository = ReturnType<typeof imageRepositoryFactory>;
