import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openDatabase } from '@cbmir/db';
import { createTestDatabase } from '@cbmir/db/testing';
import { DEFAULT_PREPROCESSING } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCbmir, type CliRun } from '../../test/run-cbmir.ts';

// `cbmir models list` and `models register` as a user runs them, against both databases: they open the
// database, the file store and the model registry only, never a network. The active version's files are
// corrupt here, so any command that loaded the active network would fail.
const work = mkdtempSync(join(tmpdir(), 'cbmir-models-cli-'));
const dataDir = join(work, 'data-dir');
let target: Awaited<ReturnType<typeof createTestDatabase>>;

function cbmir(args: string[]): Promise<CliRun> {
  return runCbmir(args, { ...process.env, CBMIR_DATA_DIR: dataDir, CBMIR_DEMO_IMAGES: '0', LOG_LEVEL: 'warn', DATABASE_URL: target.databaseUrl ?? '' });
}

const version = (name: string, weightsPath: string | null) => ({
  name,
  architecture: 'resnet-tiny',
  embeddingDim: 8,
  inputSize: 32,
  preprocessing: { ...DEFAULT_PREPROCESSING, inputSize: 32 },
  spec: { architecture: 'resnet-tiny', inputSize: 32, embeddingDim: 8, seed: 1 },
  weightsPath,
  trained: weightsPath !== null,
});

beforeAll(async () => {
  target = await createTestDatabase();
  mkdirSync(join(dataDir, 'models', 'broken'), { recursive: true });
  // What a disk fault leaves of a saved model: neither engine can open it.
  writeFileSync(join(dataDir, 'models', 'broken', 'metadata.json'), '{"spec": {"architecture": "resn');
  writeFileSync(join(dataDir, 'models', 'broken', 'model.json'), '{"modelTopology": trunc');
  writeFileSync(join(dataDir, 'models', 'broken', 'model.onnx'), Buffer.from('not an onnx graph'));
  const db = await openDatabase({ databaseUrl: target.databaseUrl, dataDir });
  try {
    const broken = await db.modelVersions.create(version('broken-active', 'models/broken'));
    await db.modelVersions.activate(broken.id);
    await db.modelVersions.create(version('spare-untrained', null));
    const image = await db.images.insertOrGet({
      sha256: 'a'.repeat(64),
      originalPath: 'originals/aa/gone.jpeg',
      thumbnailPath: 'thumbnails/aa/gone.webp',
      format: 'jpeg',
      width: 64,
      height: 64,
      eye: null,
      grade: null,
      patientRef: null,
      source: 'test',
    });
    await db.images.markUnreadable(image.image.id, 'the original is missing');
  } finally {
    await db.close();
  }
}, 300_000);

afterAll(async () => {
  await target.drop();
  rmSync(work, { recursive: true, force: true });
});

describe('cbmir models (CLI) opens no network', () => {
  it('models list lists every version, the active one marked and the unreadable count from the database, and exits 0', async () => {
    const { code, stdout, stderr } = await cbmir(['models', 'list']);
    expect({ code, stderr }).toMatchObject({ code: 0 });
    const lines = stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    const active = lines.find((line) => line.includes('broken-active'))!;
    expect(active).toMatch(/^\*\s+broken-active\s/);
    expect(active).toContain('resnet-tiny@32px');
    expect(active).toContain('active (1 unreadable)');
    const spare = lines.find((line) => line.includes('spare-untrained'))!;
    expect(spare).toMatch(/^\s+spare-untrained\s/);
    expect(spare).toContain('inactive (1 unreadable)');
  });

  it('models register refuses a directory that is not a saved model with its message and exit code 2', async () => {
    const { code, stderr } = await cbmir(['models', 'register', join(work, 'no-such-model')]);
    expect({ code, stderr }).toMatchObject({ code: 2, stderr: expect.stringContaining(`error: ${join(work, 'no-such-model')} is not a saved cbmir model`) });
  });
});
