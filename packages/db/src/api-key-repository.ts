import { randomUUID } from 'node:crypto';
import type { SqlClient } from './sql-client.ts';
import type { Role } from './user-repository.ts';

export interface StoredApiKey {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  createdBy: string | null;
  createdAt: Date;
  expiresAt: Date | null;
  revokedAt: Date | null;
  lastUsedAt: Date | null;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  role: Role;
  created_by: string | null;
  created_at: Date | string;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
  last_used_at: Date | string | null;
}

const date = (value: Date | string | null) => (value === null ? null : new Date(value));
const toApiKey = (row: ApiKeyRow): StoredApiKey => ({
  id: row.id,
  name: row.name,
  prefix: row.prefix,
  role: row.role,
  createdBy: row.created_by,
  createdAt: new Date(row.created_at),
  expiresAt: date(row.expires_at),
  revokedAt: date(row.revoked_at),
  lastUsedAt: date(row.last_used_at),
});

export function apiKeyRepositoryFactory(db: SqlClient) {
  return {
    async create(key: { name: string; prefix: string; keyHash: string; role: Role; createdBy: string | null; expiresAt: Date | null }): Promise<StoredApiKey> {
      const rows = await db.query<ApiKeyRow>(
        `INSERT INTO api_keys (id, name, prefix, key_hash, role, created_by, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *`,
        [randomUUID(), key.name, key.prefix, key.keyHash, key.role, key.createdBy, key.expiresAt],
      );
      return toApiKey(rows[0]!);
    },
    /** A key that is neither revoked nor expired, by the SHA-256 of its secret; marks it used. */
    async findUsable(keyHash: string): Promise<StoredApiKey | null> {
      const rows = await db.query<ApiKeyRow>(
        `UPDATE api_keys SET last_used_at = now()
         WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > now())
         RETURNING *`,
        [keyHash],
      );
      return rows[0] ? toApiKey(rows[0]) : null;
    },
    async list(): Promise<StoredApiKey[]> {
      return (await db.query<ApiKeyRow>(`SELECT * FROM api_keys ORDER BY created_at DESC`)).map(toApiKey);
    },
    async revoke(id: string): Promise<StoredApiKey | null> {
      const rows = await db.query<ApiKeyRow>(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`,
        [id],
      );
      return rows[0] ? toApiKey(rows[0]) : null;
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof apiKeyRepositoryFactory>;
