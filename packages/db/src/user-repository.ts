import { randomUUID } from 'node:crypto';
import type { Role } from '@cbmir/contract';
import type { SqlClient } from './sql-client.ts';

// The users.role column holds the contract's roles (declared once, there).
export type { Role };

export interface StoredUser {
  id: string;
  username: string;
  passwordHash: string;
  role: Role;
  disabled: boolean;
  createdAt: Date;
}

interface UserRow {
  id: string;
  username: string;
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: Date | string;
}

const toUser = (row: UserRow): StoredUser => ({
  id: row.id,
  username: row.username,
  passwordHash: row.password_hash,
  role: row.role,
  disabled: row.disabled,
  createdAt: new Date(row.created_at),
});

export type UserUpdateResult = { status: 'updated'; user: StoredUser } | { status: 'not-found' } | { status: 'last-admin' };

export function userRepositoryFactory(db: SqlClient) {
  return {
    async create(user: { username: string; passwordHash: string; role: Role }): Promise<StoredUser | null> {
      const rows = await db.query<UserRow>(
        `INSERT INTO users (id, username, password_hash, role) VALUES ($1, $2, $3, $4)
         ON CONFLICT (username) DO NOTHING RETURNING *`,
        [randomUUID(), user.username, user.passwordHash, user.role],
      );
      return rows[0] ? toUser(rows[0]) : null;
    },
    async findByUsername(username: string): Promise<StoredUser | null> {
      const rows = await db.query<UserRow>(`SELECT * FROM users WHERE username = $1`, [username]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    async findById(id: string): Promise<StoredUser | null> {
      const rows = await db.query<UserRow>(`SELECT * FROM users WHERE id = $1`, [id]);
      return rows[0] ? toUser(rows[0]) : null;
    },
    async list(): Promise<StoredUser[]> {
      return (await db.query<UserRow>(`SELECT * FROM users ORDER BY username`)).map(toUser);
    },
    async count(): Promise<number> {
      const rows = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM users`);
      return Number(rows[0]?.n ?? 0);
    },
    /**
     * Applies the changes unless they would leave no enabled admin (demoting or disabling the last one):
     * the enabled admins are locked first, so two admins demoting each other at once cannot both succeed.
     */
    async update(id: string, changes: { passwordHash?: string; role?: Role; disabled?: boolean }): Promise<UserUpdateResult> {
      return db.transaction(async (tx) => {
        const admins = await tx.query<{ id: string }>(`SELECT id FROM users WHERE role = 'admin' AND NOT disabled FOR UPDATE`);
        const losesAdmin = (changes.role !== undefined && changes.role !== 'admin') || changes.disabled === true;
        if (losesAdmin && admins.length === 1 && admins[0]!.id === id) return { status: 'last-admin' as const };
        const rows = await tx.query<UserRow>(
          `UPDATE users SET password_hash = COALESCE($2, password_hash), role = COALESCE($3, role),
                            disabled = COALESCE($4, disabled), updated_at = now()
           WHERE id = $1 RETURNING *`,
          [id, changes.passwordHash ?? null, changes.role ?? null, changes.disabled ?? null],
        );
        return rows[0] ? { status: 'updated' as const, user: toUser(rows[0]) } : { status: 'not-found' as const };
      });
    },
  };
}

export type UserRepository = ReturnType<typeof userRepositoryFactory>;
