import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createClient, type CbmirClient } from '@cbmir/contract';
import { openDatabase, type Database } from '@cbmir/db';
import { createTestDatabase, queryTestReplica, replicaOfTestDatabase, until, withReplicaReplayPaused } from '@cbmir/db/testing';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from './server.ts';
import { issueTestApiKey, startTestServer } from './test-server.ts';

// The server with DATABASE_READ_URL against a real primary and its real streaming replica
// (scripts/start-test-postgres.sh starts both): searches read the replica, and when it lags they go on
// answering from the primary; a case the replica has not replayed yet is read from the primary.
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-replica-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let client: CbmirClient;
let apiKey: string;
let adminKey: string;
let primary: Database;
let query: Uint8Array;

const databaseName = () => new URL(target.databaseUrl!).pathname.slice(1);
/** What /metrics says of the replica: whether it takes reads, and how many it has served. */
async function replicaMetrics(): Promise<{ fit: number; reads: number }> {
  const text = await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${adminKey}` } })).text();
  const value = (name: string) => Number(new RegExp(`^${name}\\{replica="[^"]+"\\} (\\d+)$`, 'm').exec(text)?.[1] ?? NaN);
  return { fit: value('cbmir_read_replica_fit'), reads: value('cbmir_read_replica_reads') };
}

beforeAll(async () => {
  target = await createTestDatabase();
  const replicaUrl = await replicaOfTestDatabase(target.databaseUrl!);
  server = await startTestServer({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '6',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    DATABASE_URL: target.databaseUrl,
    DATABASE_READ_URL: replicaUrl,
    CBMIR_READ_MAX_LAG_SECONDS: '1',
  });
  apiKey = await issueTestApiKey(server.url, 'clinician');
  adminKey = await issueTestApiKey(server.url, 'admin');
  client = createClient({ baseUrl: server.url, apiKey });
  primary = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
  query = await generateSyntheticFundus({ seed: 5, grade: 3 });
});

afterAll(async () => {
  await server?.close();
  await primary?.close();
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the server with read replicas (DATABASE_READ_URL)', () => {
  it('answers searches from the replica once it has the cases', async () => {
    await until(async () => (await client.searchByImage(new Blob([new Uint8Array(query)]), { k: 6 })).results.length === 6, 'the replica has the demo cases');
    // The k-NN query and the cases' rows (two reads) come from the replica. (Retried: another test file may
    // pause the shared replica's replay for a few seconds, during which reads rightly go to the primary.)
    await until(async () => {
      const before = await replicaMetrics();
      const body = await client.searchByImage(new Blob([new Uint8Array(query)]), { k: 6 });
      return before.fit === 1 && body.results.length === 6 && (await replicaMetrics()).reads >= before.reads + 2;
    }, 'a search is read from the replica');
  });

  it('keeps answering from the primary while the replica lags, and reads a case the replica has not got from the primary', async () => {
    await until(async () => (await replicaMetrics()).fit === 1, 'the replica takes reads');
    await withReplicaReplayPaused(async () => {
      const [first] = (await client.images({ limit: 1 })).images;
      const stored = await primary.images.findById(first!.id);
      const { id: _id, ...fields } = stored!;
      const { image: late } = await primary.images.insertOrGet({ ...fields, sha256: 'c'.repeat(64), patientRef: null });
      // Not on the paused replica, yet the case page finds it: the primary answers what the replica lacks.
      expect(await queryTestReplica(`SELECT 1 FROM images WHERE id = '${late.id}'`, databaseName())).toHaveLength(0);
      expect((await client.image(late.id)).id).toBe(late.id);
      // Once the replica is over a second behind it takes no reads; searches go on, from the primary.
      await until(async () => (await replicaMetrics()).fit === 0, 'the lagging replica is taken out');
      const before = await replicaMetrics();
      for (let i = 0; i < 3; i++) expect((await client.searchByImage(new Blob([new Uint8Array(query)]), { k: 6 })).results).toHaveLength(6);
      expect((await replicaMetrics()).reads).toBe(before.reads);
    });
  });
});
