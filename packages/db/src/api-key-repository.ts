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
    /**
     * A key that is neither revoked nor expired and whose creator is still enabled, by the SHA-256 of its
     * secret; marks it used. `effectiveRole` is the lesser of the key's role and its creator's role now: a
     * key never outranks the user who minted it, and dies with that user's disablement. Keys without a
     * creator (the first-start key) act with their own role.
     */
    async findUsable(keyHash: string): Promise<(StoredApiKey & { effectiveRole: Role }) | null> {
      const rows = await db.query<ApiKeyRow & { creator_role: Role | null }>(
        `UPDATE api_keys k SET last_used_at = now()
         WHERE k.key_hash = $1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > now())
           AND (k.created_by IS NULL OR EXISTS (SELECT 1 FROM users u WHERE u.id = k.created_by AND NOT u.disabled))
         RETURNING k.*, (SELECT u.role FROM users u WHERE u.id = k.created_by) AS creator_role`,
        [keyHash],
      );
      const row = rows[0];
      if (!row) return null;
      const effectiveRole: Role = row.role === 'admin' && (row.creator_role === null || row.creator_role === 'admin') ? 'admin' : 'clinician';
      return { ...toApiKey(row), effectiveRole };
    },
    async list(): Promise<StoredApiKey[]> {
      return (await db.query<ApiKeyRow>(`SELECT * FROM api_keys ORDER BY created_at DESC`)).map(toApiKey);
    },
    async revoke(id: string): Promise<StoredApiKey | null> {
      const rows = await db.query<ApiKeyRow>(`UPDATE api_keys SET revoked_at = COALESCE(revoked_at, now()) WHERE id = $1 RETURNING *`, [id]);
      return rows[0] ? toApiKey(rows[0]) : null;
    },
  };
}

export type ApiKeyRepository = ReturnType<typeof apiKeyRepositoryFactory>;
