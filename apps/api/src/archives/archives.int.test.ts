import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ErrorBody, Job, JobItem, JobItemPage, JobList, Readiness } from '@cbmir/contract';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningServer } from '../server.ts';
import { issueTestApiKey, startTestServer } from '../test-server.ts';
import { buildTar, buildZip, type ArchiveFileSpec } from '@cbmir/core';
import { waitForJob } from '../test-jobs.ts';

// Archive upload against the real server and database: every label layout, every hostile archive we know
// of, near-duplicates, re-uploads, job listing, cancel and the event stream. Archives are built here from
// synthetic fundus images; limits are set low so bombs stay small.
const MB = 1024 * 1024;
const root = mkdtempSync(join(tmpdir(), 'cbmir-archives-'));
const dataDir = join(root, 'data');
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer;
let adminKey: string;
let clinicianKey: string;

beforeAll(async () => {
  target = await createTestDatabase();
  server = await startTestServer({
    CBMIR_DATA_DIR: dataDir,
    CBMIR_DEMO_IMAGES: '0',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    CBMIR_ARCHIVE_MAX_UPLOAD_MB: '4',
    CBMIR_ARCHIVE_MAX_ENTRIES: '40',
    CBMIR_ARCHIVE_MAX_TOTAL_MB: '40',
    CBMIR_ARCHIVE_MAX_ENTRY_MB: '3',
    CBMIR_ARCHIVE_MAX_RATIO: '50',
    CBMIR_INGEST_BATCH_SIZE: '4',
    CBMIR_NEAR_DUPLICATE_DISTANCE: '5',
    ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
  });
  adminKey = await issueTestApiKey(server.url, 'admin');
  clinicianKey = await issueTestApiKey(server.url, 'clinician');
});

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(root, { recursive: true, force: true });
});

function url(path: string) {
  return `${server.url}${path}`;
}

function api(path: string, init: RequestInit = {}, key = adminKey) {
  return fetch(url(path), { ...init, headers: { ...(init.headers as Record<string, string>), authorization: `Bearer ${key}` } });
}

async function json<T>(path: string): Promise<T> {
  const response = await api(path);
  expect(response.status, path).toBe(200);
  return (await response.json()) as T;
}

async function upload(
  archive: Uint8Array,
  options: { fileName?: string; labels?: { text: string; name: string }; source?: string; key?: string; extra?: [string, string] } = {},
) {
  const form = new FormData();
  if (options.source) form.append('source', options.source);
  if (options.labels) form.append('labels', new Blob([options.labels.text]), options.labels.name);
  if (options.extra) form.append(options.extra[0], options.extra[1]);
  form.append('archive', new Blob([new Uint8Array(archive)]), options.fileName ?? 'upload.zip');
  return api('/api/v1/archives', { method: 'POST', body: form }, options.key);
}

async function expectError(response: Response, status: number, code: string) {
  const body = (await response.json()) as ErrorBody;
  expect({ status: response.status, error: body.error }, body.message).toEqual({ status, error: code });
  expect(body.message.length).toBeGreaterThan(0);
}

const finished = (job: Job) => ['completed', 'failed', 'cancelled'].includes(job.status);

const waitFor = (id: string, until: (job: Job) => boolean = finished, timeoutMs = 150_000) =>
  waitForJob((jobId) => json<Job>(`/api/v1/jobs/${jobId}`), id, until, timeoutMs, 150);

async function uploadAndWait(archive: Uint8Array, options: Parameters<typeof upload>[1] = {}): Promise<Job> {
  const response = await upload(archive, options);
  expect(response.status, await response.clone().text()).toBe(202);
  const queued = (await response.json()) as Job;
  expect(['queued', 'running', 'completed']).toContain(queued.status);
  return waitFor(queued.id);
}

async function allItems(id: string, query = ''): Promise<JobItem[]> {
  return (await json<JobItemPage>(`/api/v1/jobs/${id}/items?limit=500${query}`)).items;
}

let seed = 3000;
const fundus = (grade: FundusGrade = 1) => generateSyntheticFundus({ seed: seed++, grade });

async function imagesStored(): Promise<number> {
  return ((await (await fetch(url('/readyz'))).json()) as Readiness).images;
}

/** Every file under the data directory; nothing may ever be written anywhere else. */
function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name));
}

function expectUploadsEmpty() {
  const uploads = join(dataDir, 'uploads');
  expect(existsSync(uploads) ? readdirSync(uploads) : []).toEqual([]);
}

describe(`archive upload and ingest jobs (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  let eyepacs: Buffer;
  let eyepacsImages: Buffer[];

  it('ingests a Kaggle EyePACS zip with trainLabels.csv: grades, eyes and patients from the labels, unlabelled images as unknown', async () => {
    eyepacsImages = await Promise.all([fundus(2), fundus(3), fundus(0)]);
    eyepacs = buildZip([
      { name: 'train/', type: 'directory' },
      { name: 'train/10_left.jpeg', data: eyepacsImages[0]! },
      { name: 'train/10_right.jpeg', data: eyepacsImages[1]! },
      { name: 'train/11_left.jpeg', data: eyepacsImages[2]! },
      { name: 'trainLabels.csv', data: 'image,level\n10_left,2\n10_right,3\n99_left,1\n' },
    ]);
    const job = await uploadAndWait(eyepacs, { fileName: 'eyepacs-sample.zip' });
    expect(job).toMatchObject({
      status: 'completed',
      kind: 'archive',
      format: 'zip',
      fileName: 'eyepacs-sample.zip',
      source: 'eyepacs-sample',
      labels: { fileName: 'trainLabels.csv', layout: 'eyepacs', count: 3 },
      total: 3,
      done: 3,
      added: 3,
      duplicate: 0,
      failed: 0,
      unlabelled: 1,
      error: null,
      etaSeconds: null,
    });
    expect(job.rate).toBeGreaterThan(0);
    const items = await allItems(job.id);
    expect(items.map((i) => [i.fileName, i.status])).toEqual([
      ['train/10_left.jpeg', 'added'],
      ['train/10_right.jpeg', 'added'],
      ['train/11_left.jpeg', 'added'],
    ]);
    const images = await Promise.all(
      items.map((i) => json<{ grade: number | null; eye: string | null; patientRef: string | null; source: string }>(`/api/v1/images/${i.imageId}`)),
    );
    expect(images.map((i) => [i.grade, i.eye, i.patientRef, i.source])).toEqual([
      [2, 'left', '10', 'eyepacs-sample'],
      [3, 'right', '10', 'eyepacs-sample'],
      [null, null, null, 'eyepacs-sample'],
    ]);
    expectUploadsEmpty();
  });

  it('ingests an APTOS tar.gz of PNGs with train.csv', async () => {
    const pngs = await Promise.all(
      [fundus(4), fundus(1)].map(async (jpeg) =>
        sharp(await jpeg)
          .png()
          .toBuffer(),
      ),
    );
    const archive = await buildTar(
      [
        { name: 'train_images/000c1434d8d7.png', data: pngs[0]! },
        { name: 'train_images/001639a390f0.png', data: pngs[1]! },
        { name: 'train.csv', data: 'id_code,diagnosis\n000c1434d8d7,4\n001639a390f0,1\n' },
        { name: 'test.csv', data: 'id_code\nabc\n' },
      ],
      { gzip: true },
    );
    const job = await uploadAndWait(archive, { fileName: 'aptos.tar.gz', source: 'APTOS 2019' });
    expect(job).toMatchObject({
      status: 'completed',
      format: 'tar.gz',
      source: 'APTOS 2019',
      labels: { layout: 'aptos', count: 2 },
      added: 2,
      failed: 1,
      total: 3,
    });
    const [first, second, csv] = await allItems(job.id);
    expect(csv).toMatchObject({ fileName: 'test.csv', status: 'failed', code: 'not_an_image' });
    expect(await json(`/api/v1/images/${first!.imageId}`)).toMatchObject({ grade: 4, format: 'png', source: 'APTOS 2019' });
    expect(await json(`/api/v1/images/${second!.imageId}`)).toMatchObject({ grade: 1 });
  });

  it("ingests a plain tar with cbmir's own labels from the form field, which win over a label file inside", async () => {
    const archive = await buildTar([
      { name: 'photos/p1-left.jpg', data: await fundus(1) },
      { name: 'photos/p1-right.jpg', data: await fundus(0) },
      { name: 'labels.csv', data: 'image,level\np1-left,4\n' },
    ]);
    const labels = { name: 'my-labels.csv', text: 'file,grade,patient_id,eye\np1-left.jpg,1,patient-1,left\np1-right.jpg,,patient-1,right\n' };
    const job = await uploadAndWait(archive, { fileName: 'clinic.tar', labels });
    expect(job).toMatchObject({
      status: 'completed',
      format: 'tar',
      labels: { fileName: 'my-labels.csv', layout: 'cbmir', count: 2 },
      added: 2,
      total: 2,
      unlabelled: 0,
    });
    const images = await Promise.all(
      (await allItems(job.id)).map((i) => json<{ grade: number | null; eye: string; patientRef: string }>(`/api/v1/images/${i.imageId}`)),
    );
    expect(images.map((i) => [i.grade, i.eye, i.patientRef])).toEqual([
      [1, 'left', 'patient-1'],
      [null, 'right', 'patient-1'],
    ]);
  });

  it('a re-upload of the same archive adds nothing', async () => {
    const before = await imagesStored();
    const job = await uploadAndWait(eyepacs, { fileName: 'eyepacs-again.zip' });
    expect(job).toMatchObject({ status: 'completed', added: 0, duplicate: 3, failed: 0 });
    expect(await imagesStored()).toBe(before);
    expect((await allItems(job.id)).every((i) => i.status === 'duplicate' && i.imageId)).toBe(true);
  });

  it('flags a near-duplicate (a re-encoded copy) in the report and on the image, and stores it', async () => {
    const original = (await allItems((await json<JobList>('/api/v1/jobs?limit=100')).jobs.find((j) => j.fileName === 'eyepacs-sample.zip')!.id))[0]!;
    const reencoded = await sharp(eyepacsImages[0]!).jpeg({ quality: 70 }).toBuffer();
    const job = await uploadAndWait(
      buildZip([
        { name: 'copy.jpg', data: reencoded },
        { name: 'other.jpg', data: await fundus(2) },
      ]),
    );
    expect(job).toMatchObject({ status: 'completed', added: 2, nearDuplicates: 1 });
    const [near] = await allItems(job.id, '&nearDuplicate=true');
    expect(near).toMatchObject({ fileName: 'copy.jpg', status: 'added', nearDuplicateOf: { imageId: original.imageId } });
    expect(near!.nearDuplicateOf!.distance).toBeLessThan(5);
    const image = await json<{ metadata: { nearDuplicateOf?: { imageId: string; distance: number } } }>(`/api/v1/images/${near!.imageId}`);
    expect(image.metadata.nearDuplicateOf).toEqual(near!.nearDuplicateOf);
  });

  it('skips every hostile or broken entry with its reason, stores the good ones, and writes nothing outside the data directory', async () => {
    const [good1, good2] = await Promise.all([fundus(1), fundus(2)]);
    const jpeg = good1!;
    const tiny = await sharp({ create: { width: 8, height: 8, channels: 3, background: '#400' } })
      .png()
      .toBuffer();
    const entries: ArchiveFileSpec[] = [
      { name: 'ok/', type: 'directory' },
      { name: 'ok/good-1.jpg', data: good1 },
      { name: '../escape.jpg', data: jpeg },
      { name: '../../../../tmp/cbmir-escape.jpg', data: jpeg },
      { name: '/tmp/cbmir-absolute.jpg', data: jpeg },
      { name: 'C:\\Windows\\evil.jpg', data: jpeg },
      { name: 'link.jpg', type: 'symlink', target: '/etc/passwd' },
      { name: 'nested.zip', data: buildZip([{ name: 'inner.jpg', data: good2! }]) },
      { name: 'nested.tar.gz', data: await buildTar([{ name: 'inner.jpg', data: good2! }], { gzip: true }) },
      { name: 'readme.txt', data: 'these are fundus photos' },
      { name: 'huge.jpg', data: Buffer.alloc(4 * MB) },
      { name: 'bomb.jpg', data: Buffer.alloc(2 * MB) },
      { name: 'liar.jpg', data: Buffer.alloc(2 * MB), declaredSize: 2000 },
      { name: 'cut.jpg', data: jpeg.subarray(0, Math.floor(jpeg.length / 2)) },
      { name: 'tiny.png', data: tiny },
      { name: '__MACOSX/ok/._good-1.jpg', data: 'resource fork' },
      { name: 'ok/good-2.jpg', data: good2 },
    ];
    const job = await uploadAndWait(buildZip(entries), { fileName: 'hostile.zip' });
    expect(job).toMatchObject({ status: 'completed', total: 15, done: 15, added: 2, failed: 13 });
    const failed = await allItems(job.id, '&status=failed');
    expect(Object.fromEntries(failed.map((i) => [i.fileName, i.code]))).toEqual({
      '../escape.jpg': 'unsafe_name',
      '../../../../tmp/cbmir-escape.jpg': 'unsafe_name',
      '/tmp/cbmir-absolute.jpg': 'unsafe_name',
      'C:/Windows/evil.jpg': 'unsafe_name',
      'link.jpg': 'link',
      'nested.zip': 'nested_archive',
      'nested.tar.gz': 'nested_archive',
      'readme.txt': 'not_an_image',
      'huge.jpg': 'too_large',
      'bomb.jpg': 'compression_ratio',
      'liar.jpg': 'read_error',
      'cut.jpg': 'undecodable',
      'tiny.png': 'too_small',
    });
    for (const item of failed) expect(item.reason!.length, item.fileName).toBeGreaterThan(10);
    expect((await allItems(job.id, '&status=added')).map((i) => i.fileName)).toEqual(['ok/good-1.jpg', 'ok/good-2.jpg']);

    // Pagination over the failures.
    const page1 = await json<JobItemPage>(`/api/v1/jobs/${job.id}/items?status=failed&limit=5`);
    const page2 = await json<JobItemPage>(`/api/v1/jobs/${job.id}/items?status=failed&limit=5&after=${page1.nextAfter}`);
    expect([...page1.items, ...page2.items].map((i) => i.fileName)).toEqual(failed.slice(0, 10).map((i) => i.fileName));

    expect(existsSync(join(dataDir, '..', 'escape.jpg'))).toBe(false);
    expect(existsSync('/tmp/cbmir-escape.jpg') || existsSync('/tmp/cbmir-absolute.jpg')).toBe(false);
    expect(readdirSync(root)).toEqual(['data']);
    const names = filesUnder(dataDir).map((f) => f.slice(dataDir.length + 1));
    expect(names.some((f) => /escape|absolute|evil|link|nested|inner/.test(f))).toBe(false);
  });

  it('skips links, hard links and unsafe names in a tar the same way', async () => {
    const archive = await buildTar([
      { name: '../../escape.jpg', data: await fundus(1) },
      { name: 'sym.jpg', type: 'symlink', target: '../../../etc/passwd' },
      { name: 'hard.jpg', type: 'link', target: '/etc/shadow' },
      { name: 'fine.jpg', data: await fundus(3) },
    ]);
    const job = await uploadAndWait(archive, { fileName: 'hostile.tar' });
    expect(job).toMatchObject({ status: 'completed', added: 1, failed: 3 });
    expect((await allItems(job.id, '&status=failed')).map((i) => i.code)).toEqual(['unsafe_name', 'link', 'link']);
  });

  it('refuses, with a 4xx JSON error and nothing stored, what can be told bad up front; the server keeps serving', async () => {
    const before = await imagesStored();
    const jpeg = await fundus(1);
    const zip = buildZip([{ name: 'a.jpg', data: jpeg }]);
    const tgz = await buildTar([{ name: 'a.jpg', data: jpeg }], { gzip: true });

    await expectError(await upload(new TextEncoder().encode('just some text, not an archive')), 415, 'not_an_archive');
    await expectError(await upload(jpeg, { fileName: 'photo.zip' }), 415, 'not_an_archive');
    await expectError(await upload(zip.subarray(0, zip.length - 12)), 422, 'corrupt_archive');
    await expectError(await upload(tgz.subarray(0, Math.floor(tgz.length * 0.6)), { fileName: 'cut.tar.gz' }), 422, 'corrupt_archive');
    await expectError(await upload(Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 7)])), 422, 'corrupt_archive');
    await expectError(await upload(buildZip(Array.from({ length: 41 }, (_, i) => ({ name: `${i}.jpg`, data: 'x' })))), 413, 'too_many_entries');
    await expectError(
      await upload(buildZip(Array.from({ length: 15 }, (_, i) => ({ name: `${i}.jpg`, data: Buffer.alloc(3 * MB) })))),
      413,
      'too_large_uncompressed',
    );
    await expectError(await upload(await buildTar([{ name: 'zeros.jpg', data: Buffer.alloc(30 * MB) }], { gzip: true })), 422, 'compression_ratio');
    await expectError(await upload(Buffer.alloc(5 * MB, 1)), 413, 'too_large');
    await expectError(
      await upload(
        buildZip([
          { name: 'empty/', type: 'directory' },
          { name: 'trainLabels.csv', data: 'image,level\n' },
        ]),
      ),
      422,
      'empty_archive',
    );
    await expectError(await upload(zip, { labels: { name: 'l.csv', text: 'file,grade\na.jpg,9\n' } }), 400, 'invalid_labels');
    await expectError(await upload(zip, { labels: { name: 'l.csv', text: 'name,dr\na.jpg,1\n' } }), 400, 'invalid_labels');
    const twoLabelFiles = buildZip([
      { name: 'a.jpg', data: jpeg },
      { name: 'trainLabels.csv', data: 'image,level\na,1\n' },
      { name: 'train.csv', data: 'id_code,diagnosis\na,2\n' },
    ]);
    await expectError(await upload(twoLabelFiles), 400, 'ambiguous_labels');
    await expectError(await upload(zip, { extra: ['colour', 'blue'] }), 400, 'unexpected_field');
    const noArchive = new FormData();
    noArchive.append('source', 'x');
    await expectError(await api('/api/v1/archives', { method: 'POST', body: noArchive }), 400, 'missing_archive');
    await expectError(await api('/api/v1/archives', { method: 'POST', body: 'x', headers: { 'content-type': 'text/plain' } }), 415, 'not_multipart');
    await expectError(
      await api('/api/v1/archives', {
        method: 'POST',
        body: '--x\r\nContent-Disposition: form-data; name="archive"; filename="a.zip"\r\n\r\nPK',
        headers: { 'content-type': 'multipart/form-data; boundary=x' },
      }),
      400,
      'bad_multipart',
    );

    expect(await imagesStored()).toBe(before);
    expectUploadsEmpty();
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('is for admins only, and audited', async () => {
    const zip = buildZip([{ name: 'a.jpg', data: await fundus(1) }]);
    await expectError(await upload(zip, { key: clinicianKey }), 403, 'forbidden');
    const anonymous = await fetch(url('/api/v1/archives'), { method: 'POST', body: new FormData() });
    expect(anonymous.status).toBe(401);
    expect((await api('/api/v1/jobs', {}, clinicianKey)).status).toBe(403);
    const audit = await json<{ events: { details: Record<string, unknown>; targetType: string }[] }>('/api/v1/audit?action=archive.upload&limit=1');
    expect(audit.events[0]).toMatchObject({
      targetType: 'job',
      details: { format: expect.any(String), sha256: expect.stringMatching(/^[0-9a-f]{64}$/), files: expect.any(Number) },
    });
    expect(JSON.stringify(audit.events[0]!.details)).not.toMatch(/\.jpe?g|\.zip|\.csv/);

    type Operation = { 'x-cbmir-role': string; requestBody?: { content: Record<string, { schema: { properties: Record<string, unknown> } }> } };
    const doc = (await (await fetch(url('/api/docs/json'))).json()) as { paths: Record<string, Record<string, Operation>> };
    const form = doc.paths['/api/v1/archives']!.post!;
    expect(form['x-cbmir-role']).toBe('admin');
    expect(Object.keys(form.requestBody!.content['multipart/form-data']!.schema.properties)).toEqual(['archive', 'labels', 'source']);
    for (const path of ['/api/v1/jobs', '/api/v1/jobs/{id}', '/api/v1/jobs/{id}/items', '/api/v1/jobs/{id}/events']) {
      expect(doc.paths[path]!.get!['x-cbmir-role'], path).toBe('admin');
    }
    expect(doc.paths['/api/v1/jobs/{id}/cancel']!.post!['x-cbmir-role']).toBe('admin');
  });

  it('lists jobs newest first, paginated and filtered', async () => {
    const all = await json<JobList>('/api/v1/jobs?limit=100');
    expect(all.jobs.length).toBeGreaterThanOrEqual(7);
    const page1 = await json<JobList>('/api/v1/jobs?limit=3');
    const page2 = await json<JobList>(`/api/v1/jobs?limit=3&before=${page1.nextBefore}`);
    expect([...page1.jobs, ...page2.jobs].map((j) => j.id)).toEqual(all.jobs.slice(0, 6).map((j) => j.id));
    const completed = await json<JobList>('/api/v1/jobs?status=completed&limit=100');
    expect(completed.jobs.every((j) => j.status === 'completed')).toBe(true);
    await expectError(await api('/api/v1/jobs?status=exploded'), 400, 'invalid_request');
    await expectError(await api('/api/v1/jobs/00000000-0000-4000-8000-000000000000'), 404, 'not_found');
    await expectError(await api('/api/v1/jobs/not-a-uuid'), 400, 'invalid_request');
  });

  it('streams progress as server-sent events until the job ends', async () => {
    const archive = buildZip(await Promise.all([0, 1, 2, 3, 4].map(async (i) => ({ name: `sse-${i}.jpg`, data: await fundus(1) }))));
    const response = await upload(archive);
    const { id } = (await response.json()) as Job;
    const events = await api(`/api/v1/jobs/${id}/events`);
    expect(events.status).toBe(200);
    expect(events.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await events.text(); // the server closes the stream after `end`
    const parsed = [...text.matchAll(/event: (\w+)\ndata: (.*)\n\n/g)].map(([, event, data]) => ({ event, job: JSON.parse(data!) as Job }));
    expect(parsed.length).toBeGreaterThanOrEqual(2);
    expect(parsed.slice(0, -1).every((e) => e.event === 'progress')).toBe(true);
    expect(parsed.at(-1)).toMatchObject({ event: 'end', job: { id, status: 'completed', done: 5, added: 5 } });
    const done = parsed.map((e) => e.job.done);
    expect(done).toEqual([...done].sort((a, b) => a - b));
    await expectError(await api('/api/v1/jobs/00000000-0000-4000-8000-000000000000/events'), 404, 'not_found');
  });

  it('cancels a job: it stops, what it stored stays consistent, and a finished job cannot be cancelled', async () => {
    const before = await imagesStored();
    const archive = buildZip(await Promise.all(Array.from({ length: 12 }, async (_, i) => ({ name: `cancel-${i}.jpg`, data: await fundus(2) }))));
    const { id } = (await (await upload(archive)).json()) as Job;
    await waitFor(id, (job) => job.done >= 4 || finished(job));
    const cancel = await api(`/api/v1/jobs/${id}/cancel`, { method: 'POST' });
    expect(cancel.status).toBe(200);
    expect((await cancel.json()) as Job).toMatchObject({ id, status: 'cancelled' });
    await new Promise((resolve) => setTimeout(resolve, 3000)); // the batch in flight is rolled back, not committed
    const job = await json<Job>(`/api/v1/jobs/${id}`);
    expect(job.status).toBe('cancelled');
    expect(job.done).toBeLessThan(12);
    expect((await allItems(id, '&status=added')).length).toBe(job.added);
    expect(await imagesStored()).toBe(before + job.added);
    expectUploadsEmpty();
    await expectError(await api(`/api/v1/jobs/${id}/cancel`, { method: 'POST' }), 409, 'job_finished');
    await expectError(await api('/api/v1/jobs/00000000-0000-4000-8000-000000000000/cancel', { method: 'POST' }), 404, 'not_found');
    const audit = await json<{ events: { targetId: string }[] }>('/api/v1/audit?action=job.cancel');
    expect(audit.events[0]!.targetId).toBe(id);
  });
});
