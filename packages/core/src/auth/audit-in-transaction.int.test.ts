import type { Database } from '@cbmir/db';
import { openTestDatabase } from '@cbmir/db/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authServiceFactory } from './auth-service.ts';
import { hashingQueueFactory } from './hashing-queue.ts';
import { loginThrottleFactory } from './login-throttle.ts';

// A change and its audit row are one unit of work: when the audit row cannot be written, the change is not
// made either (and the other way round).
let db: Database;

beforeAll(async () => {
  db = await openTestDatabase();
});

afterAll(async () => {
  await db?.close();
});

const failingAudit = async () => {
  throw new Error('the audit row could not be written');
};

describe(`audit rows commit with their change (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('user and API key changes are rolled back when their audit row fails, and kept with it when it succeeds', async () => {
    const auth = authServiceFactory({ db, throttle: loginThrottleFactory(), hashing: hashingQueueFactory(), sessionHours: 1 });
    await expect(auth.createUser({ username: 'never.created', password: 'long-enough-password', role: 'admin' }, failingAudit)).rejects.toThrow(/audit row/);
    expect(await db.users.findByUsername('never.created')).toBeNull();

    const user = await auth.createUser({ username: 'ann', password: 'long-enough-password', role: 'clinician' }, async (tx, created) => {
      await tx.audit.append({ actorType: 'system', actorId: null, actorName: null, action: 'user.create', targetId: created.id });
    });
    expect((await db.audit.list({ action: 'user.create', targetId: user.id, limit: 5 })).length).toBe(1);

    await expect(auth.updateUser(user.id, { role: 'admin' }, failingAudit)).rejects.toThrow(/audit row/);
    expect((await db.users.findById(user.id))!.role).toBe('clinician');

    await expect(auth.createApiKey({ name: 'k', role: 'clinician', expiresAt: null, createdBy: user.id }, failingAudit)).rejects.toThrow(/audit row/);
    expect(await db.apiKeys.list()).toEqual([]);
    const { key } = await auth.createApiKey({ name: 'k', role: 'clinician', expiresAt: null, createdBy: user.id });
    await expect(auth.revokeApiKey(key.id, failingAudit)).rejects.toThrow(/audit row/);
    expect((await db.apiKeys.list())[0]!.revokedAt).toBeNull();
  });
});
