import type { AuditEvent } from '@cbmir/contract';

/** The actions the server records (apps/api routes), offered as suggestions in the action filter. */
export const AUDIT_ACTIONS = [
  'auth.login',
  'auth.login_failed',
  'auth.logout',
  'search.image',
  'search.vector',
  'search.refine',
  'search.explanation',
  'case.view',
  'user.create',
  'user.update',
  'api_key.create',
  'api_key.revoke',
  'model.register',
  'model.activate',
  'archive.upload',
  'job.cancel',
  'evaluation.create',
] as const;

/** Who did it, for a person: the user or key name, else the start of its id, else what kind of actor. */
export function actorLabel(event: AuditEvent): string {
  if (event.actorName) return event.actorName;
  if (event.actorId) return event.actorId.slice(0, 8);
  return event.actorType;
}

const MAX_VALUE_LENGTH = 24;

/**
 * "role: admin · disabled: true": details in one line, fractions to three decimals, long values (hashes,
 * fingerprints) cut; the full JSON goes in a tooltip.
 */
export function summariseDetails(details: Record<string, unknown>): string {
  const parts = Object.entries(details).map(([key, value]) => {
    const text =
      typeof value === 'string' ? value : typeof value === 'number' && !Number.isInteger(value) ? String(Number(value.toFixed(3))) : JSON.stringify(value);
    return `${key}: ${text.length > MAX_VALUE_LENGTH ? `${text.slice(0, MAX_VALUE_LENGTH - 1)}…` : text}`;
  });
  return parts.join(' · ');
}

/** <input type="datetime-local"> values are local wall-clock times; the API wants instants. */
export function localDateTimeToIso(value: string): string | undefined {
  if (!value) return undefined;
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}
