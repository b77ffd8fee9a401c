import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Job } from '@cbmir/contract';
import { openDatabase } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '@cbmir/core';
import { waitForJob } from '../test-jobs.ts';
import { sessionHeaders, signIn, TEST_ADMIN_PASSWORD } from '../test-session.ts';
import { exited, startCbmirProcess } from '../test-processes.ts';

// Crash safety for real: the server runs as its own process, is killed with SIGKILL in the middle of an
// archive, and started again on the same data directory and database. The job must resume where it
// stopped and, at the end, every image of the archive must be stored exactly once (with its embedding).
const IMAGES = 12;
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-resume-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let child: ChildProcess | null = null;

beforeAll(async () => {
  target = await createTestDatabase();
});

afterAll(async () => {
  if (child && child.exitCode === null) child.kill('SIGKILL');
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** Starts the server as a process of its own (so a kill hits it) and waits until it listens; returns its URL. */
async function startServerProcess(): Promise<string> {
  const started = await startCbmirProcess(
    'all-in-one',
    {
      CBMIR_DATA_DIR: dataDir,
      CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      CBMIR_DEMO_IMAGES: '0',
      CBMIR_DEMO_TRAIN_SECONDS: '0',
      CBMIR_INGEST_BATCH_SIZE: '2',
      CBMIR_JOB_LEASE_SECONDS: '3',
      ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
    },
    /cbmir is ready: (http:\/\/[\d.:]+)/,
  );
  child = started.child;
  return started.ready[1]!;
}

describe(`an archive job survives SIGKILL (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('resumes after a kill -9 in the middle, and stores every image exactly once', { timeout: 600_000 }, async () => {
    let base = await startServerProcess();
    const headers = sessionHeaders(await signIn(base));
    const job = async (id: string) => (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers })).json()) as Job;
    const waitFor = (id: string, until: (job: Job) => boolean) => waitForJob(job, id, until);

    const images = await Promise.all(Array.from({ length: IMAGES }, (_, i) => generateSyntheticFundus({ seed: 7000 + i, grade: (i % 5) as FundusGrade })));
    const archive = buildZip(images.map((data, i) => ({ name: `crash/${String(i).padStart(2, '0')}.jpg`, data })));
    const form = new FormData();
    form.append('archive', new Blob([new Uint8Array(archive)]), 'crash.zip');
    const uploaded = await fetch(`${base}/api/v1/archives`, { method: 'POST', body: form, headers });
    expect(uploaded.status).toBe(202);
    const { id } = (await uploaded.json()) as Job;

    // Partial progress, then kill -9: no shutdown handler runs, the batch in flight is lost.
    const partial = await waitFor(id, (j) => j.done >= 4 || j.status !== 'running');
    expect(partial.status).toBe('running');
    child!.kill('SIGKILL');
    await exited(child!);
    expect(child!.signalCode).toBe('SIGKILL');

    base = await startServerProcess();
    const afterRestart = await job(id);
    expect(afterRestart.done).toBeGreaterThanOrEqual(partial.done);
    expect(afterRestart.done).toBeLessThan(IMAGES);
    const done = await waitFor(id, (j) => j.status !== 'running' && j.status !== 'queued');
    expect(done).toMatchObject({ status: 'completed', total: IMAGES, done: IMAGES, added: IMAGES, duplicate: 0, failed: 0 });

    // Stop it properly and look into the database itself.
    child!.kill('SIGTERM');
    await exited(child!);
    const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir });
    try {
      const [counts] = await db.sql.query<{ images: number; hashes: number; embeddings: number; items: number; seqs: number; attempts: number }>(
        `SELECT (SELECT count(*)::int FROM images) AS images,
                (SELECT count(DISTINCT sha256)::int FROM images) AS hashes,
                (SELECT count(*)::int FROM embeddings e JOIN model_versions m ON m.id = e.model_version_id AND m.active) AS embeddings,
                (SELECT count(*)::int FROM job_items WHERE job_id = $1) AS items,
                (SELECT count(DISTINCT seq)::int FROM job_items WHERE job_id = $1 AND status = 'added') AS seqs,
                (SELECT attempts FROM jobs WHERE id = $1) AS attempts`,
        [id],
      );
      // The killed run counted as a failed attempt; the progress made after the restart reset the count.
      expect(counts).toEqual({ images: IMAGES, hashes: IMAGES, embeddings: IMAGES, items: IMAGES, seqs: IMAGES, attempts: 0 });
    } finally {
      await db.close();
    }
  });
});
