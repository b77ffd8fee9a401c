import type { AuditEvent } from '@cbmir/contract';
import { describe, expect, it } from 'vitest';
import { actorLabel, localDateTimeToIso, summariseDetails } from './audit.ts';

const event = (overrides: Partial<AuditEvent>): AuditEvent => ({
  id: '1',
  at: '2026-11-25T10:00:00.000Z',
  actorType: 'user',
  actorId: 'd4380ce8-6410-40dc-8a8e-fb914e4388a1',
  actorName: 'admin',
  action: 'user.create',
  targetType: 'user',
  targetId: null,
  details: {},
  ip: null,
  ...overrides,
});

describe('audit rows', () => {
  it('names the actor, else the start of its id, else its kind', () => {
    expect(actorLabel(event({}))).toBe('admin');
    expect(actorLabel(event({ actorName: null }))).toBe('d4380ce8');
    expect(actorLabel(event({ actorName: null, actorId: null, actorType: 'system' }))).toBe('system');
  });

  it('summarises details in one line and cuts long values', () => {
    expect(summariseDetails({ role: 'admin', disabled: true, files: 12 })).toBe('role: admin · disabled: true · files: 12');
    expect(summariseDetails({ map: 0.616939166157916, layer: null })).toBe('map: 0.617 · layer: null');
    const summary = summariseDetails({ sha256: 'a'.repeat(64) });
    expect(summary.length).toBeLessThan(40);
    expect(summary.endsWith('…')).toBe(true);
    expect(summariseDetails({})).toBe('');
  });

  it('turns a datetime-local value into an instant, and ignores what is not one', () => {
    expect(localDateTimeToIso('2026-11-25T10:30')).toBe(new Date('2026-11-25T10:30').toISOString());
    expect(localDateTimeToIso('')).toBeUndefined();
    expect(localDateTimeToIso('not a date')).toBeUndefined();
  });
});
