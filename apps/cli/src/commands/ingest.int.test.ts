import { randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildZip, loadConfig, openCbmirServices, type CbmirServices } from '@cbmir/core';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatIngestReport, ingestInput } from './ingest.ts';

// `cbmir ingest` on a folder and on an archive, through the same job service as an upload, and the resume
// of a run that was killed.
const root = mkdtempSync(join(tmpdir(), 'cbmir-cli-ingest-'));
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let services: CbmirServices;
let seed = 9100;
const fundus = (grade: FundusGrade) => generateSyntheticFundus({ seed: seed++, grade });

beforeAll(async () => {
  target = await createTestDatabase();
  const config = loadConfig({
    CBMIR_DATA_DIR: join(root, 'data'),
    CBMIR_INGEST_BATCH_SIZE: '2',
    CBMIR_DEMO_IMAGES: '0',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_DEFAULT_MODEL: 'untrained',
    LOG_LEVEL: 'silent',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  services = await openCbmirServices(config, { info: () => {}, warn: () => {} });
});

afterAll(async () => {
  await services?.close();
  await target?.drop();
  rmSync(root, { recursive: true, force: true });
});

describe(`cbmir ingest (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('ingests a folder with --labels, following links to files, reporting dangling links and non-images; a second run adds nothing', async () => {
    const folder = join(root, 'folder');
    mkdirSync(join(folder, 'left'), { recursive: true });
    writeFileSync(join(folder, 'left', 'p1.jpg'), await fundus(3));
    writeFileSync(join(folder, 'p2.jpg'), await fundus(0));
    writeFileSync(join(folder, 'notes.txt'), 'not an image');
    symlinkSync(join(root, 'nowhere.jpg'), join(folder, 'p3.jpg'));
    writeFileSync(join(root, 'outside.jpg'), await fundus(2));
    symlinkSync(join(root, 'outside.jpg'), join(folder, 'p4.jpg'));
    const labels = join(root, 'labels.csv');
    writeFileSync(labels, 'file,grade,patient_id,eye\np1.jpg,3,p1,left\n');

    const report = await ingestInput(services, { input: folder, labels });
    expect(report.job).toMatchObject({ status: 'completed', format: 'folder', total: 5, added: 3, failed: 2, unlabelled: 2 });
    const text = formatIngestReport(report);
    expect(text).toMatch(/^added 3, skipped 0 \(already stored\), failed 2 of 5/);
    expect(text).toContain('labels: labels.csv (cbmir, 1 rows); 2 image(s) had no label');
    expect(text).toMatch(/failed notes\.txt: not an image/);
    expect(text).toMatch(/failed p3\.jpg: a symbolic link/);

    // The job and its audit row were written together.
    const audited = await services.db.sql.query<{ target_id: string }>(`SELECT target_id FROM audit_events WHERE action = 'archive.ingest'`);
    expect(audited.map((row) => row.target_id)).toEqual([report.job.id]);

    const again = await ingestInput(services, { input: folder, labels });
    expect(again.job).toMatchObject({ status: 'completed', added: 0, duplicate: 3 });
  });

  it('ingests an archive, and resumes a run that was killed instead of starting over', async () => {
    const archive = join(root, 'batch.zip');
    const images = await Promise.all([0, 1, 2, 3, 4].map((i) => fundus((i % 5) as FundusGrade)));
    writeFileSync(archive, buildZip(images.map((data, i) => ({ name: `b/${i}.jpg`, data }))));
    // A run killed mid-way leaves its job claimed by a process that is gone (its lease long expired).
    const killed = await services.jobs.create({ id: randomUUID(), inputPath: archive, owned: false, claimedBy: 'killed-cli' });
    await services.db.sql.query(`UPDATE jobs SET heartbeat_at = now() - interval '1 hour' WHERE id = $1`, [killed.id]);

    const report = await ingestInput(services, { input: archive });
    expect(report.job).toMatchObject({ id: killed.id, status: 'completed', format: 'zip', total: 5, added: 5 });
    expect(formatIngestReport(report)).toMatch(/^added 5, skipped 0 \(already stored\), failed 0 of 5$/);
  });
});
