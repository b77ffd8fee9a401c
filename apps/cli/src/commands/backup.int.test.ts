import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RunningServer } from '@cbmir/api';
import { issueTestApiKey, startTestServer } from '@cbmir/api/test-server';
import { createTestDatabase } from '@cbmir/db/testing';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FILES_DIR, MANIFEST_FILE, readManifest } from '../backup/backup-manifest.ts';
import { backup, type BackupResult } from './backup.ts';
import { restore } from './restore.ts';

// Back up a running server (real database, real files), restore into an empty data directory (and, with
// PostgreSQL, an empty database), start a server there: the same searches give the same cases and distances.
const DEMO_IMAGES = 8;
const root = mkdtempSync(join(tmpdir(), 'cbmir-backup-'));
const sourceDir = join(root, 'source');
const backupDir = join(root, 'backup');
const restoredDir = join(root, 'restored');
const quiet = () => {};
let source: Awaited<ReturnType<typeof createTestDatabase>>;
let target: Awaited<ReturnType<typeof createTestDatabase>>;
let server: RunningServer | null = null;
let clinicianKey: string;
let backedUp: BackupResult;
let queries: Uint8Array[];
type Results = { imageId: string; distance: number }[];
let before: Results[];

async function search(url: string, image: Uint8Array): Promise<Results> {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(image)]), 'query.jpg');
  const response = await fetch(`${url}/api/v1/search?k=5`, { method: 'POST', body: form, headers: { authorization: `Bearer ${clinicianKey}` } });
  expect(response.status, await response.clone().text()).toBe(200);
  return ((await response.json()) as { results: Results }).results.map(({ imageId, distance }) => ({ imageId, distance }));
}

beforeAll(async () => {
  source = await createTestDatabase();
  target = await createTestDatabase();
  server = await startTestServer({
    CBMIR_DATA_DIR: sourceDir,
    CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
    CBMIR_DEMO_TRAIN_SECONDS: '0',
    ...(source.databaseUrl ? { DATABASE_URL: source.databaseUrl } : {}),
  });
  clinicianKey = await issueTestApiKey(server.url, 'clinician');
  queries = await Promise.all([101, 102].map((seed) => generateSyntheticFundus({ seed, grade: 2 })));
  before = [];
  for (const query of queries) before.push(await search(server.url, query));
  // While the server runs (and holds the embedded database).
  backedUp = await backup({
    config: { databaseUrl: source.databaseUrl, dataDir: sourceDir, port: 0 },
    dir: backupDir,
    serverUrl: server.url,
    apiKey: await issueTestApiKey(server.url, 'admin'),
    log: quiet,
  });
  await server.close();
  server = null;
});

afterAll(async () => {
  await server?.close();
  await source?.drop();
  await target?.drop();
  rmSync(root, { recursive: true, force: true });
});

describe(`cbmir backup / restore (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('backs up a running server: the dump (pg_dump, or the embedded database through the server) and every file, with counts and checksums', async () => {
    expect(backedUp.via).toBe(source.databaseUrl ? 'pg_dump' : 'server');
    const manifest = await readManifest(backupDir);
    expect(manifest.database.kind).toBe(source.databaseUrl ? 'postgres' : 'pglite');
    expect(manifest.database.tables.images).toBe(DEMO_IMAGES);
    expect(manifest.database.tables.embeddings).toBe(DEMO_IMAGES);
    expect(manifest.database.tables.users).toBe(1);
    const paths = manifest.files.entries.map((e) => e.path);
    // An original and a thumbnail per image, the salt, the seeded model's ONNX export; no database files, lock or secrets.
    expect(paths.filter((p) => p.startsWith('images/originals/'))).toHaveLength(DEMO_IMAGES);
    expect(paths.filter((p) => p.startsWith('images/thumbnails/'))).toHaveLength(DEMO_IMAGES);
    expect(paths).toContain('patient-ref.salt');
    expect(paths.some((p) => p.startsWith('models/'))).toBe(true);
    expect(paths.some((p) => p.startsWith('db/') || p === 'first-start-credentials.txt')).toBe(false);
    expect(readdirSync(join(backupDir, FILES_DIR)).sort()).toEqual([...new Set(paths.map((p) => p.split('/')[0]))].sort());
  });

  it('refuses to back up into a folder that is not empty', async () => {
    await expect(backup({ config: { databaseUrl: source.databaseUrl, dataDir: sourceDir, port: 0 }, dir: backupDir, log: quiet })).rejects.toThrow(
      /is not empty/,
    );
  });

  it('restores into an empty data directory: the same searches give the same cases at the same distances', async () => {
    const manifest = await restore({ config: { databaseUrl: target.databaseUrl, dataDir: restoredDir }, dir: backupDir, force: false, log: quiet });
    expect(manifest.database.tables.images).toBe(DEMO_IMAGES);
    server = await startTestServer({
      CBMIR_DATA_DIR: restoredDir,
      CBMIR_DEMO_IMAGES: String(DEMO_IMAGES),
      CBMIR_DEMO_TRAIN_SECONDS: '0',
      ...(target.databaseUrl ? { DATABASE_URL: target.databaseUrl } : {}),
    });
    // The clinician's API key was restored with the users; nothing was seeded or re-embedded.
    const ready = (await (await fetch(`${server.url}/readyz`)).json()) as { images: number };
    expect(ready.images).toBe(DEMO_IMAGES);
    const after: Results[] = [];
    for (const query of queries) after.push(await search(server.url, query));
    expect(after).toEqual(before);
    expect(before[0]!.length).toBe(5);
    const thumbnail = await fetch(`${server.url}/api/v1/images/${after[0]![0]!.imageId}/thumbnail`, { headers: { authorization: `Bearer ${clinicianKey}` } });
    expect(thumbnail.status).toBe(200);
  });

  it('refuses to restore over a data directory (or database) that is not empty unless --force', async () => {
    await expect(restore({ config: { databaseUrl: target.databaseUrl, dataDir: restoredDir }, dir: backupDir, force: false, log: quiet })).rejects.toThrow(
      /is not empty.*--force/s,
    );
    await server?.close();
    server = null;
    const manifest = await restore({ config: { databaseUrl: target.databaseUrl, dataDir: restoredDir }, dir: backupDir, force: true, log: quiet });
    expect(manifest.files.count).toBeGreaterThan(2 * DEMO_IMAGES);
    if (!target.databaseUrl) {
      // No server holds the embedded database now: the CLI dumps it itself.
      const offline = await backup({ config: { databaseUrl: undefined, dataDir: restoredDir, port: 0 }, dir: join(root, 'offline'), log: quiet });
      expect(offline.via).toBe('embedded');
      expect(offline.manifest.database.tables.embeddings).toBe(DEMO_IMAGES);
      const images = (m: typeof manifest) => m.files.entries.filter((e) => e.path.startsWith('images/'));
      expect(images(offline.manifest)).toEqual(images(manifest));
    }
  });

  it('refuses a damaged or partial backup before touching the target, with a clear message (and exit code 2 from the CLI)', async () => {
    const damaged = (name: string, harm: (dir: string) => void) => {
      const dir = join(root, name);
      cpSync(backupDir, dir, { recursive: true });
      harm(dir);
      return dir;
    };
    const empty = () => mkdtempSync(join(root, 'empty-'));
    // Into the restored database (PostgreSQL) even: the checks come before anything else.
    const attempt = (dir: string, dataDir = empty()) =>
      restore({ config: { databaseUrl: target.databaseUrl, dataDir }, dir, force: true, log: quiet }).finally(() => expect(readdirSync(dataDir)).toEqual([]));

    const thumbnail = (await readManifest(backupDir)).files.entries.find((e) => e.path.startsWith('images/thumbnails/'))!.path;
    const flipped = damaged('flipped', (dir) => {
      const path = join(dir, FILES_DIR, thumbnail);
      const bytes = readFileSync(path);
      bytes[100] = bytes[100]! ^ 0xff;
      writeFileSync(path, bytes);
    });
    const cut = damaged('cut', (dir) =>
      truncateSync(join(dir, (JSON.parse(readFileSync(join(dir, MANIFEST_FILE), 'utf8')) as { database: { file: string } }).database.file), 1000),
    );
    const partial = damaged('partial', (dir) => rmSync(join(dir, MANIFEST_FILE)));
    const garbled = damaged('garbled', (dir) => writeFileSync(join(dir, MANIFEST_FILE), '{"format": "cbmir-backup", '));

    await expect(attempt(partial)).rejects.toThrow(/has no manifest\.json: not a cbmir backup, or an incomplete one/);
    await expect(attempt(garbled)).rejects.toThrow(/manifest\.json is not valid JSON/);
    await expect(attempt(flipped)).rejects.toThrow(new RegExp(`files/${thumbnail} does not match its SHA-256 checksum`));
    await expect(attempt(cut)).rejects.toThrow(/the database dump database\.(tar\.gz|pgdump) has 1000 bytes, the manifest says \d+ \(cut short\?\)/);
    if (target.databaseUrl) {
      await expect(restore({ config: { databaseUrl: undefined, dataDir: empty() }, dir: backupDir, force: false, log: quiet })).rejects.toThrow(
        /backup of a PostgreSQL database: set DATABASE_URL/,
      );
    }

    const repo = fileURLToPath(new URL('../../../../', import.meta.url));
    const cli = spawnSync('pnpm', ['--silent', 'cbmir', 'restore', flipped], {
      cwd: repo,
      env: { ...process.env, CBMIR_DATA_DIR: empty(), DATABASE_URL: target.databaseUrl ?? '' },
      encoding: 'utf8',
    });
    expect(cli.stderr).toMatch(/^error: the backup in .* is damaged or incomplete; nothing was restored/m);
    expect(cli.status).toBe(2);
  });
});
