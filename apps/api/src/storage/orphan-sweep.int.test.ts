import { fileStoreFactory, sweepOrphanFiles } from '@cbmir/core';
import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createTestDatabase, useTestDatabase } from '@cbmir/db/testing';
import { describe, expect, it } from 'vitest';
import { issueTestApiKey, startTestServer } from '../test-server.ts';

const fixture = useTestDatabase('cbmir-sweep-');
const { dataDir } = fixture;

function put(root: string, relative: string, content = 'bytes') {
  mkdirSync(dirname(join(root, relative)), { recursive: true });
  writeFileSync(join(root, relative), content);
  return join(root, relative);
}

describe(`leftover files (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('removes partial writes and files of batches that never committed; keeps every file a stored image has', async () => {
    const root = join(dataDir, 'unit');
    const files = fileStoreFactory({ dataDir: root });
    const kept = 'a'.repeat(64);
    const orphan = 'b'.repeat(64);
    await fixture.db.images.insertOrGet({
      sha256: kept,
      originalPath: files.originalPath(kept, 'jpeg'),
      thumbnailPath: files.thumbnailPath(kept),
      format: 'jpeg',
      width: 64,
      height: 64,
      eye: null,
      grade: null,
      patientRef: null,
      source: 'test',
    });
    const keptFiles = [put(root, files.originalPath(kept, 'jpeg')), put(root, files.thumbnailPath(kept))];
    const orphanFiles = [put(root, files.originalPath(orphan, 'png')), put(root, files.thumbnailPath(orphan))];
    const partial = put(root, `${files.originalPath('c'.repeat(64), 'jpeg')}.4242.partial`);

    // Fresh files may belong to a batch in flight: left alone.
    expect(await sweepOrphanFiles({ db: fixture.db, files, olderThanMs: 3600_000 })).toEqual({ partials: 0, orphans: 0 });
    expect([...keptFiles, ...orphanFiles, partial].every((path) => existsSync(path))).toBe(true);

    expect(await sweepOrphanFiles({ db: fixture.db, files, olderThanMs: 0 })).toEqual({ partials: 1, orphans: 2 });
    expect(keptFiles.every((path) => existsSync(path))).toBe(true);
    expect([...orphanFiles, partial].some((path) => existsSync(path))).toBe(false);
  });

  it('the server sweeps at start: leftovers of a killed run go, the stored images stay', async () => {
    const serverDir = join(dataDir, 'server');
    const leftovers = [
      put(serverDir, `images/originals/dd/${'d'.repeat(64)}.jpeg`),
      put(serverDir, `images/thumbnails/dd/${'d'.repeat(64)}.jpg`),
      put(serverDir, `images/originals/ee/${'e'.repeat(64)}.jpeg.999.partial`),
    ];
    // Left two hours ago: old enough for either database (with PostgreSQL only leftovers older than an
    // hour go, since another server may be writing a batch into a shared volume).
    const twoHoursAgo = new Date(Date.now() - 2 * 3600_000);
    for (const path of leftovers) utimesSync(path, twoHoursAgo, twoHoursAgo);
    const serverDb = await createTestDatabase();
    const server = await startTestServer({
      CBMIR_DATA_DIR: serverDir,
      CBMIR_DEMO_IMAGES: '2',
      CBMIR_DEMO_TRAIN_SECONDS: '0',
      ...(serverDb.databaseUrl ? { DATABASE_URL: serverDb.databaseUrl } : {}),
    });
    try {
      expect(leftovers.filter((path) => existsSync(path))).toEqual([]);
      const key = await issueTestApiKey(server.url, 'clinician');
      const list = (await (await fetch(`${server.url}/api/v1/images`, { headers: { authorization: `Bearer ${key}` } })).json()) as {
        images: { thumbnailUrl: string }[];
      };
      expect(list.images).toHaveLength(2);
      for (const image of list.images) {
        expect((await fetch(`${server.url}${image.thumbnailUrl}`, { headers: { authorization: `Bearer ${key}` } })).status).toBe(200);
      }
    } finally {
      await server.close();
      await serverDb.drop();
    }
  });
});
