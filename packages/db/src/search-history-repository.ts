import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';

/** Whose search it is: a signed-in user or an API key (each sees only its own). */
export interface SearchOwner {
  actorType: 'user' | 'api_key';
  actorId: string;
}

export interface SearchRegionValue {
  x: number;
  y: number;
  width: number;
  height: number;
}

export type NewSearchHistoryEntry = SearchOwner & {
  k: number;
  filters: Record<string, string>;
  modelVersionId: string;
  results: number;
  top: { imageId: string; distance: number; grade: number | null } | null;
} & ({ kind: 'image'; querySha256: string; queryFormat: string; region: SearchRegionValue | null } | { kind: 'case'; queryImageId: string });

export interface SearchHistoryEntry extends SearchOwner {
  id: string;
  kind: 'image' | 'case';
  querySha256: string | null;
  queryFormat: string | null;
  queryImageId: string | null;
  region: SearchRegionValue | null;
  k: number;
  filters: Record<string, string>;
  modelVersionId: string;
  results: number;
  top: { imageId: string; distance: number; grade: number | null } | null;
  createdAt: Date;
}

interface SearchHistoryRow {
  id: string;
  actor_type: 'user' | 'api_key';
  actor_id: string;
  kind: 'image' | 'case';
  query_sha256: string | null;
  query_format: string | null;
  query_image_id: string | null;
  region: SearchRegionValue | string | null;
  k: number;
  filters: Record<string, string> | string;
  model_version_id: string;
  results: number;
  top_image_id: string | null;
  top_distance: number | null;
  top_grade: number | null;
  created_at: Date | string;
}

const json = <T>(value: T | string): T => (typeof value === 'string' ? (JSON.parse(value) as T) : value);

const toEntry = (row: SearchHistoryRow): SearchHistoryEntry => ({
  id: row.id,
  actorType: row.actor_type,
  actorId: row.actor_id,
  kind: row.kind,
  querySha256: row.query_sha256,
  queryFormat: row.query_format,
  queryImageId: row.query_image_id,
  region: row.region === null ? null : json(row.region),
  k: row.k,
  filters: json(row.filters),
  modelVersionId: row.model_version_id,
  results: row.results,
  top: row.top_image_id === null ? null : { imageId: row.top_image_id, distance: Number(row.top_distance), grade: row.top_grade },
  createdAt: new Date(row.created_at),
});

/** Every query is scoped by its owner: there is no way here to read another caller's searches. */
export function searchHistoryRepositoryFactory(db: SqlClient) {
  return {
    async add(entry: NewSearchHistoryEntry): Promise<string> {
      const id = randomUUID();
      const image = entry.kind === 'image' ? entry : null;
      await db.query(
        `INSERT INTO search_history (id, actor_type, actor_id, kind, query_sha256, query_format, query_image_id, region, k, filters,
           model_version_id, results, top_image_id, top_distance, top_grade)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
        [
          id,
          entry.actorType,
          entry.actorId,
          entry.kind,
          image?.querySha256 ?? null,
          image?.queryFormat ?? null,
          entry.kind === 'case' ? entry.queryImageId : null,
          image?.region ? JSON.stringify(image.region) : null,
          entry.k,
          JSON.stringify(entry.filters),
          entry.modelVersionId,
          entry.results,
          entry.top?.imageId ?? null,
          entry.top?.distance ?? null,
          entry.top?.grade ?? null,
        ],
      );
      return id;
    },

    /** The owner's searches, newest first. */
    async list(owner: SearchOwner, page: { limit: number; offset: number }): Promise<{ entries: SearchHistoryEntry[]; total: number }> {
      const [rows, count] = await Promise.all([
        db.query<SearchHistoryRow>(
          `SELECT * FROM search_history WHERE actor_type = $1 AND actor_id = $2
           ORDER BY created_at DESC, id DESC LIMIT $3 OFFSET $4`,
          [owner.actorType, owner.actorId, page.limit, page.offset],
        ),
        db.query<{ n: number | string }>(`SELECT count(*) AS n FROM search_history WHERE actor_type = $1 AND actor_id = $2`, [owner.actorType, owner.actorId]),
      ]);
      return { entries: rows.map(toEntry), total: Number(count[0]?.n ?? 0) };
    },

    /** One of the owner's searches; null when there is none with this id or it is someone else's. */
    async find(owner: SearchOwner, id: string): Promise<SearchHistoryEntry | null> {
      const rows = await db.query<SearchHistoryRow>(`SELECT * FROM search_history WHERE id = $1 AND actor_type = $2 AND actor_id = $3`, [
        id,
        owner.actorType,
        owner.actorId,
      ]);
      return rows[0] ? toEntry(rows[0]) : null;
    },
  };
}

export type SearchHistoryRepository = ReturnType<typeof searchHistoryRepositoryFactory>;
