import type { SqlClient } from './sql-client.ts';
import type { Role } from './user-repository.ts';

export interface SessionUser {
  sessionId: string;
  csrfToken: string;
  expiresAt: Date;
  userId: string;
  username: string;
  role: Role;
}

export function sessionRepositoryFactory(db: SqlClient) {
  return {
    /** id is the SHA-256 of the cookie token: a leaked table does not let anyone sign in. */
    async create(session: { id: string; userId: string; csrfToken: string; expiresAt: Date }): Promise<void> {
      await db.query(`INSERT INTO sessions (id, user_id, csrf_token, expires_at) VALUES ($1, $2, $3, $4)`, [
        session.id,
        session.userId,
        session.csrfToken,
        session.expiresAt,
      ]);
    },
    /** The session and its user, if the session is unexpired and the user is enabled. */
    async findValid(id: string): Promise<SessionUser | null> {
      const rows = await db.query<{ id: string; csrf_token: string; expires_at: Date | string; user_id: string; username: string; role: Role }>(
        `SELECT s.id, s.csrf_token, s.expires_at, u.id AS user_id, u.username, u.role
         FROM sessions s JOIN users u ON u.id = s.user_id
         WHERE s.id = $1 AND s.expires_at > now() AND NOT u.disabled`,
        [id],
      );
      const row = rows[0];
      return row
        ? { sessionId: row.id, csrfToken: row.csrf_token, expiresAt: new Date(row.expires_at), userId: row.user_id, username: row.username, role: row.role }
        : null;
    },
    async delete(id: string): Promise<void> {
      await db.query(`DELETE FROM sessions WHERE id = $1`, [id]);
    },
    async deleteForUser(userId: string): Promise<void> {
      await db.query(`DELETE FROM sessions WHERE user_id = $1`, [userId]);
    },
    async deleteExpired(): Promise<void> {
      await db.query(`DELETE FROM sessions WHERE expires_at <= now()`);
    },
  };
}

export type SessionRepository = ReturnType<typeof sessionRepositoryFactory>;
