import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@cbmir/contract';
import { openDatabase } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { createRandom } from '@cbmir/seeded-random';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '@cbmir/core';
import { exited, startCbmirProcess } from './test-processes.ts';
import { sessionHeaders, signIn, TEST_ADMIN_PASSWORD } from './test-session.ts';

// The multi-process fault test (issue 15): two API processes (reading search from a streaming replica), two
// workers, one PostgreSQL primary and its replica, all on this machine. Archives go in through both APIs while
// a random worker is SIGKILLed every few seconds and replaced; clinicians' searches go on through both APIs.
// Afterwards: every image stored exactly once with exactly one embedding under the active version, every job
// completed, and not one 5xx answer to a search.
const ARCHIVES = 4;
const PER_ARCHIVE = 40;
const MAX_KILLS = 6;
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-faults-'));
const children: ChildProcess[] = [];
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let env: Record<string, string | undefined>;

beforeAll(async () => {
  const replicaAdmin = process.env.CBMIR_TEST_REPLICA_URL;
  if (!replicaAdmin) throw new Error('CBMIR_TEST_REPLICA_URL is not set: eval "$(scripts/start-test-postgres.sh)" starts the test replica');
  target = await createTestDatabase();
  const replica = new URL(target.databaseUrl!);
  replica.host = new URL(replicaAdmin).host;
  env = {
    DATABASE_URL: target.databaseUrl,
    DATABASE_READ_URL: replica.toString(),
    CBMIR_DATA_DIR: dataDir,
    CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
    CBMIR_DEMO_IMAGES: '0',
    CBMIR_INGEST_BATCH_SIZE: '4',
    CBMIR_JOB_LEASE_SECONDS: '3',
    CBMIR_SEARCH_RATE_LIMIT: '100000',
    CBMIR_SEARCH_MEGAPIXELS_PER_MINUTE: '100000',
  };
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await Promise.all(children.map(exited));
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

async function start(command: 'serve' | 'worker') {
  const started = await startCbmirProcess(command, env, command === 'serve' ? /cbmir is ready: (http:\/\/[\d.:]+) / : /cbmir worker is ready/);
  children.push(started.child);
  return started;
}

describe('faults across processes (postgres)', () => {
  it('archives through two APIs while workers are SIGKILLed: every image stored and embedded once, no 5xx', { timeout: 900_000 }, async () => {
    // The first API process creates the admin and the schema; the others start on a ready database.
    const apis = [await start('serve')];
    apis.push(await start('serve'));
    const bases = apis.map((api) => api.ready[1]!);
    const session = sessionHeaders(await signIn(bases[0]!));
    const keyResponse = await fetch(`${bases[1]}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...session, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'fault test', role: 'clinician' }),
    });
    const clinician = { authorization: `Bearer ${((await keyResponse.json()) as { secret: string }).secret}` };

    const workers = await Promise.all([start('worker'), start('worker')]);

    // Archives: half through each API (the session works on both: sessions are in the database).
    const jobIds: string[] = [];
    for (let a = 0; a < ARCHIVES; a++) {
      const images = await Promise.all(
        Array.from({ length: PER_ARCHIVE }, (_, i) => generateSyntheticFundus({ seed: 20_000 + a * 1000 + i, grade: (i % 5) as FundusGrade })),
      );
      const form = new FormData();
      form.append(
        'archive',
        new Blob([new Uint8Array(buildZip(images.map((data, i) => ({ name: `a${a}/${String(i).padStart(3, '0')}.jpg`, data }))))]),
        `a${a}.zip`,
      );
      const response = await fetch(`${bases[a % 2]}/api/v1/archives`, { method: 'POST', body: form, headers: session });
      expect(response.status).toBe(202);
      jobIds.push(((await response.json()) as Job).id);
    }
    const jobs = async () => Promise.all(jobIds.map(async (id) => (await (await fetch(`${bases[0]}/api/v1/jobs/${id}`, { headers: session })).json()) as Job));
    const finished = (job: Job) => job.status === 'completed' || job.status === 'failed' || job.status === 'cancelled';

    // Searches through both APIs, all along: an uploaded photo and a stored case's neighbours, alternately.
    const statuses = new Map<number, number>();
    let searching = true;
    const query = await generateSyntheticFundus({ seed: 20_003, grade: 3 });
    const searcher = (async () => {
      for (let i = 0; searching; i++) {
        const base = bases[i % 2]!;
        let status: number;
        try {
          if (i % 3 === 0) {
            const form = new FormData();
            form.append('image', new Blob([new Uint8Array(query)]), 'query.jpg');
            status = (await fetch(`${base}/api/v1/search?k=10`, { method: 'POST', body: form, headers: clinician })).status;
          } else {
            const list = await fetch(`${base}/api/v1/images?limit=1`, { headers: clinician });
            const first = ((await list.json()) as { images: { id: string }[] }).images[0];
            status = first ? (await fetch(`${base}/api/v1/images/${first.id}/similar?k=10`, { headers: clinician })).status : list.status;
          }
        } catch {
          status = 0; // no answer at all
        }
        statuses.set(status, (statuses.get(status) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 150));
      }
    })();

    // Every few seconds a random worker is killed with SIGKILL (no shutdown code runs) and replaced.
    const random = createRandom(7);
    let kills = 0;
    const deadline = Date.now() + 600_000;
    for (;;) {
      await new Promise((resolve) => setTimeout(resolve, 3000));
      const states = await jobs();
      if (states.every(finished)) break;
      if (Date.now() > deadline) throw new Error(`jobs did not finish: ${JSON.stringify(states)}`);
      if (kills < MAX_KILLS) {
        const victim = random.int(0, workers.length - 1);
        workers[victim]!.child.kill('SIGKILL');
        await exited(workers[victim]!.child);
        kills++;
        workers[victim] = await start('worker');
      }
    }
    searching = false;
    await searcher;

    const final = await jobs();
    expect(final.map((j) => j.status)).toEqual(Array(ARCHIVES).fill('completed'));
    expect(final.map((j) => j.done)).toEqual(Array(ARCHIVES).fill(PER_ARCHIVE));
    expect(kills).toBeGreaterThanOrEqual(1);

    const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
    try {
      const active = (await db.modelVersions.findActive())!;
      expect(await db.images.count()).toBe(ARCHIVES * PER_ARCHIVE);
      const [counts] = await db.sql.query<{ images: number; distinct_hashes: number; embeddings: number; embedded_images: number }>(
        `SELECT (SELECT count(*)::int FROM images) AS images, (SELECT count(DISTINCT sha256)::int FROM images) AS distinct_hashes,
                (SELECT count(*)::int FROM embeddings WHERE model_version_id = $1) AS embeddings,
                (SELECT count(DISTINCT image_id)::int FROM embeddings WHERE model_version_id = $1) AS embedded_images`,
        [active.id],
      );
      expect(counts).toEqual({
        images: ARCHIVES * PER_ARCHIVE,
        distinct_hashes: ARCHIVES * PER_ARCHIVE,
        embeddings: ARCHIVES * PER_ARCHIVE,
        embedded_images: ARCHIVES * PER_ARCHIVE,
      });
    } finally {
      await db.close();
    }

    // Searches kept answering: no 5xx and no dropped connection, and plenty of them succeeded.
    const serverErrors = [...statuses].filter(([status]) => status >= 500 || status === 0);
    expect(serverErrors).toEqual([]);
    expect(statuses.get(200) ?? 0).toBeGreaterThan(10);
    console.log(
      `fault test: ${ARCHIVES * PER_ARCHIVE} images sent through 2 APIs, ${ARCHIVES * PER_ARCHIVE} stored, 0 duplicated, 0 lost; ` +
        `${kills} workers SIGKILLed; searches by status: ${JSON.stringify(Object.fromEntries(statuses))}`,
    );
  });
});
