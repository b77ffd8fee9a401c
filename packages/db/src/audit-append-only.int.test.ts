import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from './open-database.ts';
import { openTestDatabase } from './testing.ts';

let db: Database;

beforeAll(async () => {
  db = await openTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

describe(`the audit trail is append-only in the database (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('refuses UPDATE, DELETE and TRUNCATE of audit_events, even to the owner, and keeps the rows', async () => {
    await db.audit.append({ actorType: 'system', actorId: null, actorName: 'cbmir', action: 'test.event', details: { n: 1 } });
    await expect(db.sql.query(`UPDATE audit_events SET action = 'forged'`)).rejects.toThrow(/append-only/);
    await expect(db.sql.query(`DELETE FROM audit_events`)).rejects.toThrow(/append-only/);
    await expect(db.sql.exec(`TRUNCATE audit_events`)).rejects.toThrow(/append-only/);
    const events = await db.audit.list({ action: 'test.event', limit: 10 });
    expect(events).toHaveLength(1);
    expect(events[0]!.details).toEqual({ n: 1 });
  });

  it('a transaction that fails after its audit row takes the row back with it', async () => {
    await expect(
      db.transaction(async (tx) => {
        await tx.audit.append({ actorType: 'system', actorId: null, actorName: 'cbmir', action: 'test.rolled_back' });
        throw new Error('the change failed');
      }),
    ).rejects.toThrow('the change failed');
    expect(await db.audit.list({ action: 'test.rolled_back', limit: 10 })).toEqual([]);
  });
});
