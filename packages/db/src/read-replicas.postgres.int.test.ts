import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase, type Database } from './open-database.ts';
import { parseLsn } from './read-replicas.ts';
import { createTestDatabase, replicaOfTestDatabase, testImageRow, until, withReplicaReplayPaused } from './testing.ts';

// A real primary and a real streaming replica of it (scripts/start-test-postgres.sh starts both).
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let replicaUrl: string;
let db: Database | undefined;
const warnings: string[] = [];

const servedByStandby = async (database: Database) =>
  (await database.reads.sql.query<{ standby: boolean }>('SELECT pg_is_in_recovery() AS standby'))[0]!.standby;

const image = (sha256: string) => testImageRow(sha256, { source: 'replica-test' });

beforeAll(async () => {
  target = await createTestDatabase();
  replicaUrl = await replicaOfTestDatabase(target.databaseUrl!);
  db = await openDatabase({
    databaseUrl: target.databaseUrl,
    dataDir: null,
    readUrls: [replicaUrl],
    maxReadLagSeconds: 1,
    onReadReplicaWarning: (m) => warnings.push(m),
  });
});

afterAll(async () => {
  await db?.close();
  await target?.drop();
});

describe('read replicas (DATABASE_READ_URL)', () => {
  it('parses WAL positions', () => {
    expect(parseLsn('0/0')).toBe(0n);
    expect(parseLsn('16/B374D848')).toBe((0x16n << 32n) | 0xb374d848n);
  });

  it('sends reads to the fit streaming replica, writes to the primary, and the replica sees them', async () => {
    await until(() => db!.readReplicas()[0]!.fit, 'the replica is fit');
    expect(await servedByStandby(db!)).toBe(true);
    const { image: stored } = await db!.images.insertOrGet(image('a'.repeat(64)));
    await until(async () => (await db!.reads.images.findById(stored.id)) !== null, 'the replica has the new image');
    expect((await db!.reads.images.findById(stored.id))?.sha256).toBe('a'.repeat(64));
  });

  it('moves reads to the primary, with a warning, while the replica lags, and back when it catches up', async () => {
    await until(() => db!.readReplicas()[0]!.fit, 'the replica is fit');
    await withReplicaReplayPaused(async () => {
      const { image: stored } = await db!.images.insertOrGet(image('b'.repeat(64)));
      await until(() => !db!.readReplicas()[0]!.fit, 'the lagging replica is taken out');
      expect(db!.readReplicas()[0]!.reason).toMatch(/more than 1 s behind the primary/);
      expect(warnings.some((w) => /behind the primary.*reads go to the primary/.test(w))).toBe(true);
      // What a clinician reads now comes from the primary, so it includes the row the replica has not replayed.
      expect(await servedByStandby(db!)).toBe(false);
      expect(await db!.reads.images.findById(stored.id)).not.toBeNull();
    });
    await until(() => db!.readReplicas()[0]!.fit, 'the replica catches up and is fit again');
    expect(await servedByStandby(db!)).toBe(true);
    expect(warnings.some((w) => /is back/.test(w))).toBe(true);
  });

  it('starts with a replica that is down and reads from the primary, never failing a read', async () => {
    const down: string[] = [];
    const withDownReplica = await openDatabase({
      databaseUrl: target.databaseUrl,
      dataDir: null,
      readUrls: ['postgres://cbmir_test:cbmir_test@127.0.0.1:1/nothing'],
      onReadReplicaWarning: (m) => down.push(m),
    });
    try {
      expect(withDownReplica.readReplicas()[0]).toMatchObject({ name: '127.0.0.1:1', fit: false });
      expect(withDownReplica.readReplicas()[0]!.reason).toMatch(/unreachable/);
      expect(await servedByStandby(withDownReplica)).toBe(false);
      expect(await withDownReplica.reads.images.count()).toBeGreaterThanOrEqual(2);
      expect(down[0]).toMatch(/read replica 127\.0\.0\.1:1: unreachable .*reads go to the primary/);
    } finally {
      await withDownReplica.close();
    }
  });

  it('refuses read replicas without a PostgreSQL primary', async () => {
    await expect(openDatabase({ dataDir: null, readUrls: [replicaUrl] })).rejects.toThrow(/DATABASE_READ_URL needs DATABASE_URL/);
  });
});
