import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RunningServer } from '@cbmir/api';
import { issueTestApiKey, startTestServer, TEST_ADMIN_PASSWORD } from '@cbmir/api/test-server';
import { createTestDatabase } from '@cbmir/db/testing';
import { contentHash, generateSyntheticFundus, type FundusGrade } from '@cbmir/imaging';
import { evaluationSetFingerprint } from '@cbmir/retrieval';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCbmir, type CliRun } from '../../test/run-cbmir.ts';

// `cbmir eval` as a user runs it, on 20 synthetic fundus images (5 grades, 10 patients, both eyes each),
// then the stored evaluation through GET /api/v1/models/:id/evaluations -- against both databases.
const work = mkdtempSync(join(tmpdir(), 'cbmir-eval-'));
const dataDir = join(work, 'data-dir');
const images = join(work, 'images');
const labels = join(work, 'labels.csv');
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer | undefined;
const files: { sha256: string; grade: number; patient: string; eye: string }[] = [];

const env = () => ({
  ...process.env,
  CBMIR_DATA_DIR: dataDir,
  CBMIR_DEMO_IMAGES: '0',
  CBMIR_ADMIN_PASSWORD: TEST_ADMIN_PASSWORD,
  LOG_LEVEL: 'warn',
  DATABASE_URL: target.databaseUrl ?? '',
});

function cbmir(args: string[]): Promise<CliRun> {
  return runCbmir(args, env());
}

const tinyModel = ['--untrained', '--arch', 'resnet-tiny', '--image-size', '32', '--embedding-dim', '8'];

beforeAll(async () => {
  target = await createTestDatabase();
  mkdirSync(images);
  const lines = ['file,grade,patient_id,eye'];
  for (let i = 0; i < 20; i++) {
    const grade = ((i >> 2) % 5) as FundusGrade;
    const patient = `p${i >> 1}`;
    const eye = i % 2 ? 'right' : 'left';
    const bytes = await generateSyntheticFundus({ seed: 500 + i, grade, size: 96 });
    writeFileSync(join(images, `${patient}_${eye}.jpeg`), bytes);
    lines.push(`${patient}_${eye}.jpeg,${grade},${patient},${eye}`);
    files.push({ sha256: contentHash(bytes), grade, patient, eye });
  }
  writeFileSync(labels, `${lines.join('\n')}\n`);
});

afterAll(async () => {
  await server?.close();
  await target?.drop();
  rmSync(work, { recursive: true, force: true });
});

describe(`cbmir eval (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  // biome-ignore lint/suspicious/noExplicitAny: the --json report is read field by field, as a user's script would
  let report: Record<string, any>;

  it('--json prints every metric with its chance level, the model version, the data fingerprint and timings', async () => {
    const out = join(work, 'report');
    const run = await cbmir(['eval', '--data', images, '--labels', labels, ...tinyModel, '--json', '--out', out]);
    expect(run.code, run.stderr).toBe(0);
    report = JSON.parse(run.stdout);
    expect(report.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.source).toMatchObject({ modelName: 'resnet-tiny-32px-8d-untrained-seed42', architecture: 'resnet-tiny', dimensions: 8, layer: null });
    expect(report.source.modelVersionId).toMatch(/^[0-9a-f-]{36}$/);
    expect(report.data).toMatchObject({ images: 20, unlabelled: 0, fingerprint: evaluationSetFingerprint(files) });
    const metricKeys = ['map', 'macroMap', 'mrr', 'precisionAt1', 'precisionAt5', 'precisionAt10', 'recallAt10', 'voteAccuracy', 'voteKappa'];
    for (const key of metricKeys) {
      expect(typeof report.result.overall[key], key).toBe('number');
      expect(typeof report.result.chance[key], `chance ${key}`).toBe('number');
    }
    expect(report.result.overall.map).toBeGreaterThan(0);
    expect(report.result.overall.map).toBeLessThanOrEqual(1);
    expect(report.result.perGrade.map((g: { grade: number; count: number }) => [g.grade, g.count])).toEqual([
      [0, 4],
      [1, 4],
      [2, 4],
      [3, 4],
      [4, 4],
    ]);
    for (const grade of report.result.perGrade) expect(typeof grade.chance.map).toBe('number');
    // both eyes of each of the 10 patients left out of each other's gallery
    expect(report.result.counts).toMatchObject({ queries: 20, gallery: 20, excludedSamePatient: 20, excludedSameImage: 0 });
    expect(report.result.prCurve.recall).toHaveLength(21);
    expect(report.result.voteConfusion.flat().reduce((a: number, b: number) => a + b, 0)).toBe(20);
    expect(report.embeddings).toEqual({ fromDatabase: 0, fromCache: 0, computed: 20 });
    expect(Object.keys(report.timings).sort()).toEqual(['embedSeconds', 'mapSeconds', 'rankSeconds', 'readSeconds', 'totalSeconds']);
    expect(report.map).toHaveLength(20);
    const html = readFileSync(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<svg');
    expect(html).not.toContain('<script');
    expect(existsSync(join(out, 'evaluation.json'))).toBe(true);
  });

  it('reuses cached embeddings and evaluates several layers into one table', async () => {
    const run = await cbmir(['eval', '--data', images, '--labels', labels, ...tinyModel, '--layers', 'output,second-last', '--map-points', '0']);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/Layer of resnet-tiny-32px-8d-untrained-seed42\s+output\s+avg_pool/);
    expect(run.stdout).toContain('embeddings: 0 from the database, 20 from the cache, 0 computed');
    // the cached output embeddings rank exactly as before
    expect(run.stdout).toMatch(new RegExp(`^MAP\\s+${report.result.overall.map.toFixed(4)}\\s`, 'm'));
  });

  it('reproduces Table 1: a supervised baseline trained by cbmir train, its three layers beside a Siamese model', async () => {
    const trained: Record<string, string> = {};
    for (const kind of ['supervised', 'siamese']) {
      trained[kind] = join(work, `trained-${kind}`);
      // 20 images: after the patient split each grade keeps one training patient, so only "different" pairs exist
      // TF.js models (layers by their TF.js names); the PyTorch engine's are in train-torch.torch.test.ts
      const run = await cbmir([
        'train',
        '--engine',
        'tfjs',
        '--model',
        kind,
        '--data',
        images,
        '--labels',
        labels,
        '--out',
        trained[kind]!,
        '--arch',
        'resnet-tiny',
        '--image-size',
        '32',
        '--embedding-dim',
        '8',
        '--epochs',
        '1',
        '--steps-per-epoch',
        '2',
        '--batch',
        '4',
        '--validation-fraction',
        '0.3',
        ...(kind === 'siamese' ? ['--positive-fraction', '0'] : []),
      ]);
      expect(run.code, run.stderr).toBe(0);
    }
    const sup = trained.supervised!;
    const run = await cbmir([
      'eval',
      '--data',
      images,
      '--labels',
      labels,
      '--no-store',
      '--json',
      '--map-points',
      '0',
      '--layers',
      `${sup}:third-last,${sup}:second-last,${sup}:softmax,${trained.siamese}:output`,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const { runs } = JSON.parse(run.stdout) as {
      runs: { source: { modelName: string; layer: string | null; dimensions: number }; result: { overall: { map: number } } }[];
    };
    expect(runs.map((r) => [r.source.modelName, r.source.layer, r.source.dimensions])).toEqual([
      ['trained-supervised', 'avg_pool', 64],
      // the baseline's embedding is its second-to-last layer: what it serves when registered
      ['trained-supervised', null, 8],
      ['trained-supervised', 'grade_softmax', 5],
      ['trained-siamese', null, 8],
    ]);
    for (const r of runs) expect(r.result.overall.map).toBeGreaterThan(0);
  });

  it('uses the version’s stored embeddings for images already in the database', async () => {
    expect((await cbmir(['models', 'activate', 'resnet-tiny-32px-8d-untrained-seed42'])).code).toBe(0);
    const ingest = await cbmir(['ingest', images, '--labels', labels]);
    expect(ingest.code, ingest.stderr).toBe(0);
    const run = await cbmir(['eval', '--data', images, '--labels', labels, ...tinyModel, '--json', '--map-points', '20']);
    expect(run.code, run.stderr).toBe(0);
    const again = JSON.parse(run.stdout);
    expect(again.embeddings).toEqual({ fromDatabase: 20, fromCache: 0, computed: 0 });
    expect(again.result.overall).toEqual(report.result.overall);
    expect(again.data.fingerprint).toBe(report.data.fingerprint);
    // map points now link to the stored cases
    expect(again.map.every((point: { imageId: string | null }) => /^[0-9a-f-]{36}$/.test(point.imageId ?? ''))).toBe(true);
  });

  it('refuses a bad command line with exit code 2', async () => {
    const run = await cbmir(['eval', '--data', images]);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('--labels');
  });

  it('serves the stored evaluations of the model version, newest first, paginated', async () => {
    server = await startTestServer(env());
    const key = await issueTestApiKey(server.url, 'clinician');
    const get = (path: string, auth = true) => fetch(`${server!.url}${path}`, { headers: auth ? { authorization: `Bearer ${key}` } : {} });
    const versionId = report.source.modelVersionId as string;

    expect((await get(`/api/v1/models/${versionId}/evaluations`, false)).status).toBe(401);
    expect((await get('/api/v1/models/00000000-0000-4000-8000-000000000000/evaluations')).status).toBe(404);
    const response = await get(`/api/v1/models/${versionId}/evaluations`);
    expect(response.status).toBe(200);
    const page = await response.json();
    // this file's four runs, newest first: stored embeddings; avg_pool and output of the layer run; the first
    expect(page.evaluations.map((e: { layer: string | null }) => e.layer)).toEqual([null, 'avg_pool', null, null]);
    expect(page.evaluations[0].embeddings.fromDatabase).toBe(20);
    const stored = page.evaluations.find((e: { id: string }) => e.id === report.id);
    expect(stored).toMatchObject({
      modelVersionId: versionId,
      layer: null,
      dimensions: 8,
      protocol: 'leave-patient-out',
      data: { name: 'images', fingerprint: report.data.fingerprint, images: 20 },
      gallery: null,
      embeddings: { fromDatabase: 0, fromCache: 0, computed: 20 },
    });
    expect(stored.metrics.overall).toEqual(report.result.overall);
    expect(stored.metrics.chance).toEqual(report.result.chance);
    expect(stored.metrics.perGrade).toHaveLength(5);
    expect(stored.prCurve.precision).toHaveLength(21);
    expect(stored.map).toHaveLength(20);
    expect(Object.keys(stored.map[0]).sort()).toEqual(['grade', 'imageId', 'sha256', 'x', 'y']);
    expect(page.nextBefore).toBeNull();

    const first = await (await get(`/api/v1/models/${versionId}/evaluations?limit=3`)).json();
    expect(first.evaluations).toHaveLength(3);
    const second = await (await get(`/api/v1/models/${versionId}/evaluations?limit=3&before=${first.nextBefore}`)).json();
    expect(second.evaluations.map((e: { id: string }) => e.id)).toEqual([report.id]);
    expect(second.nextBefore).toBeNull();

    // described in the OpenAPI document, for the web app's typed client
    const docs = await (await get('/api/docs/json', false)).json();
    const operation = docs.paths['/api/v1/models/{id}/evaluations'].get;
    expect(operation['x-cbmir-role']).toBe('clinician');
    expect(JSON.stringify(operation.responses['200'])).toContain('chancePrecision');
  });
});
