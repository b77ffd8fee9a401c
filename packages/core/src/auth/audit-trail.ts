import type { AuditEvent, AuditFilter, Database, NewAuditEvent, Repositories } from '@cbmir/db';
import type { Principal } from './principal.ts';

type Target = { type: string; id: string } | null;

/** Who asked and from where: an HTTP request carries both (the API's authenticated request fits). */
export interface AuditActor {
  principal?: Principal | null;
  ip: string;
}

/** How many events of one kind are written per window before the rest are only counted. */
export interface AuditBounds {
  /** Rows per action and key (e.g. per client address) per window. */
  perKey: number;
  /** Rows per action, all keys together, per window. */
  perAction: number;
  windowMs: number;
}

const DEFAULT_BOUNDS: AuditBounds = { perKey: 5, perAction: 60, windowMs: 60_000 };

/**
 * Appends to the audit table: who (user or key), what, on which target, from where. Details hold ids and
 * hashes only -- never image content, file names, patient identifiers or typed usernames.
 *
 * `record` writes one row per call. `recordBounded` is for what an anonymous caller can trigger at will
 * (failed sign-ins, refused requests): past the bounds it only counts, and the next row written for that
 * action and key carries the count (`details.unrecorded`), so a flood leaves a trace without filling the table.
 */
export function auditTrailFactory(deps: { db: Database; bounds?: AuditBounds; now?: () => number }) {
  const bounds = deps.bounds ?? DEFAULT_BOUNDS;
  const now = deps.now ?? Date.now;
  const windows = new Map<string, { start: number; written: number; unrecorded: number }>();

  function event(request: AuditActor, action: string, target: Target, details: Record<string, unknown>): NewAuditEvent {
    const principal = request.principal;
    return {
      actorType: principal?.kind ?? 'anonymous',
      actorId: principal?.id ?? null,
      actorName: principal?.name ?? null,
      action,
      targetType: target?.type ?? null,
      targetId: target?.id ?? null,
      details,
      ip: request.ip,
    };
  }

  /** The window of `key`: counts what was written and what was left out since it began. */
  function windowOf(key: string) {
    let window = windows.get(key);
    if (!window || now() - window.start >= bounds.windowMs) {
      window = { start: now(), written: 0, unrecorded: window?.unrecorded ?? 0 };
      windows.set(key, window);
    }
    if (windows.size > 10_000) {
      for (const [k, w] of windows) if (now() - w.start >= bounds.windowMs && w.unrecorded === 0) windows.delete(k);
    }
    return window;
  }

  return {
    /**
     * A page of the trail, newest first, filtered; `nextBefore` (the last event's id) asks for the next, older
     * page, null when this page is not full (the end).
     */
    async page(filter: AuditFilter): Promise<{ events: AuditEvent[]; nextBefore: string | null }> {
      const events = await deps.db.audit.list(filter);
      return { events, nextBefore: events.length === filter.limit ? events[events.length - 1]!.id : null };
    },

    async record(request: AuditActor, action: string, target: Target = null, details: Record<string, unknown> = {}): Promise<void> {
      await deps.db.audit.append(event(request, action, target, details));
    },

    /** Like `record`, inside the caller's transaction: the row commits or rolls back with the change it records. */
    async recordIn(tx: Repositories, request: AuditActor, action: string, target: Target = null, details: Record<string, unknown> = {}): Promise<void> {
      await tx.audit.append(event(request, action, target, details));
    },

    /** At most `bounds.perKey` rows per action and key, and `bounds.perAction` per action, per window. */
    async recordBounded(request: AuditActor, action: string, key: string, target: Target = null, details: Record<string, unknown> = {}): Promise<void> {
      const perKey = windowOf(`${action}\n${key}`);
      const perAction = windowOf(action);
      if (perKey.written >= bounds.perKey || perAction.written >= bounds.perAction) {
        perKey.unrecorded++;
        return;
      }
      perKey.written++;
      perAction.written++;
      const unrecorded = perKey.unrecorded;
      perKey.unrecorded = 0;
      await deps.db.audit.append(event(request, action, target, unrecorded > 0 ? { ...details, unrecorded } : details));
    },

    async recordSystem(event: Omit<NewAuditEvent, 'actorType' | 'actorId' | 'actorName'>): Promise<void> {
      await deps.db.audit.append({ ...event, actorType: 'system', actorId: null, actorName: 'cbmir' });
    },

    /** Like `recordSystem`, inside the caller's transaction (e.g. `cbmir ingest` creating its job). */
    async recordSystemIn(tx: Repositories, event: Omit<NewAuditEvent, 'actorType' | 'actorId' | 'actorName'>): Promise<void> {
      await tx.audit.append({ ...event, actorType: 'system', actorId: null, actorName: 'cbmir' });
    },
  };
}

export type AuditTrail = ReturnType<typeof auditTrailFactory>;
