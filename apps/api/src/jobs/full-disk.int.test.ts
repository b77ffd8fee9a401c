import { createClient, type CbmirClient, type Job } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip, MAX_ATTEMPTS } from '@cbmir/core';
import { waitForJob } from '../test-jobs.ts';
import { issueTestApiKey, openTestServer, type TestServer } from '../test-server.ts';

// A full disk under the data directory, injected at the file store's seam (every write fails with ENOSPC, as
// writeFile does on a full file system): the ingest job fails with that reason once its attempts are spent,
// nothing half-stored is left in the database, and clinicians' searches keep being answered meanwhile.
let server: TestServer;
let admin: CbmirClient;
let clinician: CbmirClient;

beforeAll(async () => {
  server = await openTestServer({ CBMIR_DEMO_IMAGES: '4', CBMIR_DEMO_TRAIN_SECONDS: '0' });
  admin = createClient({ baseUrl: server.url, apiKey: await issueTestApiKey(server.url, 'admin') });
  clinician = createClient({ baseUrl: server.url, apiKey: await issueTestApiKey(server.url, 'clinician') });
}, 180_000);

afterAll(async () => {
  await server?.close();
});

const ended = (job: Job) => job.status === 'completed' || job.status === 'failed';

describe(`a full disk in the data directory (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('fails the ingest job with that reason, stores nothing of it, and keeps answering searches', async () => {
    const photos = await Promise.all([31, 32, 33].map((seed) => generateSyntheticFundus({ seed, grade: 2 })));
    const archive = () => new Blob([new Uint8Array(buildZip(photos.map((data, i) => ({ name: `full-${i}.jpg`, data }))))]);
    const files = server.services.files;
    const put = files.put;
    files.put = () => Promise.reject(Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', errno: -28 }));
    try {
      const before = await server.services.db.images.count();
      const queued = await admin.uploadArchive(archive());

      // Searches are answered while the job fails and is retried (the query photo cannot be kept either).
      const query = new Blob([new Uint8Array(photos[0]!)]);
      const search = await clinician.searchByImage(query, { k: 3 });
      expect(search.results).toHaveLength(3);
      expect(search.historyId).toBeUndefined();

      const job = await waitForJob((id) => admin.job(id), queued.id, ended, 120_000, 100);
      expect(job.status).toBe('failed');
      expect(job.error).toMatch(/no space left on device/);
      // Retried first (a disk may be freed): attempts given back before the last one failed the job.
      expect((await server.services.db.jobs.findById(job.id))?.attempts).toBe(MAX_ATTEMPTS - 1);
      expect(await server.services.db.images.count()).toBe(before);
      expect((await clinician.searchByImage(query, { k: 3 })).results).toHaveLength(3);
    } finally {
      files.put = put;
    }

    // With room again, the same archive goes in.
    const again = await admin.uploadArchive(archive());
    const job = await waitForJob((id) => admin.job(id), again.id, ended, 120_000, 100);
    expect(job).toMatchObject({ status: 'completed', added: 3 });
    expect((await clinician.searchByImage(new Blob([new Uint8Array(photos[0]!)]), { k: 3 })).historyId).toEqual(expect.any(String));
  }, 300_000);
});
