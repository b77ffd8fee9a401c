import type { SqlClient } from './sql-client.ts';

export interface NewAuditEvent {
  actorType: 'user' | 'api_key' | 'system' | 'anonymous';
  actorId: string | null;
  actorName: string | null;
  action: string;
  targetType?: string | null;
  targetId?: string | null;
  details?: Record<string, unknown>;
  ip?: string | null;
}

export interface AuditEvent extends Required<NewAuditEvent> {
  id: string;
  at: Date;
}

export interface AuditFilter {
  action?: string | undefined;
  actorId?: string | undefined;
  targetId?: string | undefined;
  from?: Date | undefined;
  to?: Date | undefined;
  /** Return events older than this id (keyset pagination, newest first). */
  before?: string | undefined;
  limit: number;
}

interface AuditRow {
  id: string | number;
  at: Date | string;
  actor_type: NewAuditEvent['actorType'];
  actor_id: string | null;
  actor_name: string | null;
  action: string;
  target_type: string | null;
  target_id: string | null;
  details: Record<string, unknown> | string;
  ip: string | null;
}

const toEvent = (row: AuditRow): AuditEvent => ({
  id: String(row.id),
  at: new Date(row.at),
  actorType: row.actor_type,
  actorId: row.actor_id,
  actorName: row.actor_name,
  action: row.action,
  targetType: row.target_type,
  targetId: row.target_id,
  details: typeof row.details === 'string' ? JSON.parse(row.details) : row.details,
  ip: row.ip,
});

/** Append-only: there is no update or delete here on purpose. */
export function auditRepositoryFactory(db: SqlClient) {
  return {
    async append(event: NewAuditEvent): Promise<void> {
      await db.query(
        `INSERT INTO audit_events (actor_type, actor_id, actor_name, action, target_type, target_id, details, ip)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
        [
          event.actorType,
          event.actorId,
          event.actorName,
          event.action,
          event.targetType ?? null,
          event.targetId ?? null,
          JSON.stringify(event.details ?? {}),
          event.ip ?? null,
        ],
      );
    },
    /** Newest first, filtered; pass the last id of a page as `before` for the next page. */
    async list(filter: AuditFilter): Promise<AuditEvent[]> {
      const where: string[] = [];
      const params: unknown[] = [];
      const add = (sql: string, value: unknown) => {
        params.push(value);
        where.push(sql.replace('?', `$${params.length}`));
      };
      if (filter.action) add('action = ?', filter.action);
      if (filter.actorId) add('actor_id = ?', filter.actorId);
      if (filter.targetId) add('target_id = ?', filter.targetId);
      if (filter.from) add('at >= ?', filter.from);
      if (filter.to) add('at < ?', filter.to);
      if (filter.before) add('id < ?', filter.before);
      params.push(filter.limit);
      const rows = await db.query<AuditRow>(
        `SELECT * FROM audit_events ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
         ORDER BY id DESC LIMIT $${params.length}`,
        params,
      );
      return rows.map(toEvent);
    },
  };
}

export type AuditRepository = ReturnType<typeof auditRepositoryFactory>;
