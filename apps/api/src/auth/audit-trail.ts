import type { Database, NewAuditEvent } from '@cbmir/db';
import type { FastifyRequest } from 'fastify';

/**
 * Appends to the audit table: who (user or key), what, on which target, from where. Details hold ids and
 * hashes only -- never image content, file names or patient identifiers.
 */
export function auditTrailFactory(deps: { db: Database }) {
  return {
    async record(
      request: FastifyRequest,
      action: string,
      target: { type: string; id: string } | null = null,
      details: Record<string, unknown> = {},
    ): Promise<void> {
      const principal = request.principal;
      await deps.db.audit.append({
        actorType: principal?.kind ?? 'anonymous',
        actorId: principal?.id ?? null,
        actorName: principal?.name ?? null,
        action,
        targetType: target?.type ?? null,
        targetId: target?.id ?? null,
        details,
        ip: request.ip,
      });
    },
    async recordSystem(event: Omit<NewAuditEvent, 'actorType' | 'actorId' | 'actorName'>): Promise<void> {
      await deps.db.audit.append({ ...event, actorType: 'system', actorId: null, actorName: 'cbmir' });
    },
  };
}

export type AuditTrail = ReturnType<typeof auditTrailFactory>;
