import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Job } from '@cbmir/contract';
import { openDatabase } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '@cbmir/core';
import { exited, startCbmirProcess, type CbmirProcess } from './test-processes.ts';
import { waitForJob } from './test-jobs.ts';
import { sessionHeaders, signIn, TEST_ADMIN_PASSWORD } from './test-session.ts';

// Process roles for real: `pnpm cbmir serve` (HTTP only) and `pnpm cbmir worker` (jobs only) as separate
// processes on one PostgreSQL database and one data directory. The API records an archive job and leaves
// it; a worker runs it; a worker killed with SIGKILL mid-job loses nothing, another takes the job over.
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'cbmir-roles-'));
const children: ChildProcess[] = [];
let target: Awaited<ReturnType<typeof createTestDatabase>>;

beforeAll(async () => {
  target = await createTestDatabase();
});

afterAll(async () => {
  for (const child of children) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  await target?.drop();
  rmSync(dataDir, { recursive: true, force: true });
});

function startRole(command: 'serve' | 'worker', ready: RegExp): Promise<CbmirProcess> {
  return startCbmirProcess(
    command,
    {
      DATABASE_URL: target.databaseUrl,
      CBMIR_DATA_DIR: dataDir,
      CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
      CBMIR_DEMO_IMAGES: '0',
      CBMIR_INGEST_BATCH_SIZE: '2',
      CBMIR_JOB_LEASE_SECONDS: '3',
    },
    ready,
  ).then((started) => {
    children.push(started.child);
    return started;
  });
}

async function archive(name: string, count: number, seed: number): Promise<Blob> {
  const images = await Promise.all(Array.from({ length: count }, (_, i) => generateSyntheticFundus({ seed: seed + i, grade: (i % 5) as FundusGrade })));
  return new Blob([new Uint8Array(buildZip(images.map((data, i) => ({ name: `${name}/${String(i).padStart(2, '0')}.jpg`, data }))))]);
}

describe('process roles: cbmir serve and cbmir worker (postgres)', () => {
  it('the API leaves jobs to workers; a worker runs them, and one killed mid-job loses nothing', { timeout: 600_000 }, async () => {
    const api = await startRole('serve', /cbmir is ready: (http:\/\/[\d.:]+) /);
    const base = api.ready[1]!;
    const headers = sessionHeaders(await signIn(base));
    const job = async (id: string) => (await (await fetch(`${base}/api/v1/jobs/${id}`, { headers })).json()) as Job;
    const waitFor = (id: string, until: (job: Job) => boolean) => waitForJob(job, id, until);
    async function upload(name: string, count: number, seed: number): Promise<string> {
      const form = new FormData();
      form.append('archive', await archive(name, count, seed), `${name}.zip`);
      const response = await fetch(`${base}/api/v1/archives`, { method: 'POST', body: form, headers });
      expect(response.status).toBe(202);
      return ((await response.json()) as Job).id;
    }

    // Only the API runs: the job is recorded and stays queued.
    const first = await upload('first', 4, 8000);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    expect((await job(first)).status).toBe('queued');

    // A worker takes it.
    const worker = await startRole('worker', /cbmir worker is ready/);
    expect((await waitFor(first, (j) => j.status === 'completed')).done).toBe(4);

    // A second archive; the worker is killed with SIGKILL in the middle; a new worker finishes it.
    const second = await upload('second', 12, 8100);
    const partial = await waitFor(second, (j) => j.done >= 2 || j.status === 'completed' || j.status === 'failed');
    expect(partial.status).toBe('running');
    worker.child.kill('SIGKILL');
    await exited(worker.child);
    await startRole('worker', /cbmir worker is ready/);
    const done = await waitFor(second, (j) => j.status !== 'running' && j.status !== 'queued');
    expect(done).toMatchObject({ status: 'completed', done: 12 });

    // Every image stored once, with one embedding under the active version; search through the API finds them.
    const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir: null });
    try {
      expect(await db.images.count()).toBe(16);
      const active = await db.modelVersions.findActive();
      expect(await db.embeddings.count(active!)).toBe(16);
    } finally {
      await db.close();
    }
    const apiKey = await fetch(`${base}/api/v1/api-keys`, {
      method: 'POST',
      headers: { ...headers, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'roles test', role: 'clinician' }),
    });
    const { secret } = (await apiKey.json()) as { secret: string };
    const form = new FormData();
    form.append('image', new Blob([new Uint8Array(await generateSyntheticFundus({ seed: 8003, grade: 3 }))]), 'query.jpg');
    const search = await fetch(`${base}/api/v1/search?k=16`, { method: 'POST', body: form, headers: { authorization: `Bearer ${secret}` } });
    expect(search.status).toBe(200);
    const body = (await search.json()) as { results: { distance: number }[] };
    expect(body.results).toHaveLength(16);
    expect(body.results[0]!.distance).toBeLessThan(1e-3); // the query is one of the stored images

    api.child.kill('SIGTERM');
    await exited(api.child);
    expect(api.child.exitCode).toBe(0);
  });

  it('cbmir serve killed with SIGKILL takes its API server down with it (no orphan left serving)', { timeout: 300_000 }, async () => {
    const api = await startRole('serve', /cbmir is ready: (http:\/\/[\d.:]+) /);
    const health = `${api.ready[1]!}/healthz`;
    expect((await fetch(health)).status).toBe(200);
    api.child.kill('SIGKILL');
    await exited(api.child);
    let answering = true;
    for (const started = Date.now(); answering && Date.now() - started < 30_000; ) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      answering = await fetch(health).then(
        () => true,
        () => false,
      );
    }
    expect(answering).toBe(false);
  });

  it('refuses the api and worker roles without a PostgreSQL server', async () => {
    const { DATABASE_URL: _inherited, ...env } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', 'apps/cli/src/main.ts', 'worker'], {
      cwd: REPO,
      env: { ...env, CBMIR_DATA_DIR: dataDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    await exited(child);
    expect(child.exitCode).toBe(2);
    expect(stderr).toMatch(/CBMIR_ROLE=worker needs DATABASE_URL/);
  });
});
