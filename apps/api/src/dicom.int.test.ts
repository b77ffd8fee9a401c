import { createClient, type CbmirClient, type ImageRecord, type Job } from '@cbmir/contract';
import { generateSyntheticFundus } from '@cbmir/imaging';
import { buildTestDicom, TRANSFER_SYNTAX } from '@cbmir/imaging/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildZip } from '@cbmir/core';
import { issueTestApiKey, openTestServer, type TestServer } from './test-server.ts';

// DICOM ophthalmic photographs in, through search and archives, built in memory by the test writer.
let server: TestServer;
let clinician: CbmirClient;
let admin: CbmirClient;
let clinicianKey: string;

beforeAll(async () => {
  server = await openTestServer({
    CBMIR_DEMO_IMAGES: '4',
    CBMIR_DEMO_TRAIN_SECONDS: '0',
  });
  clinicianKey = await issueTestApiKey(server.url, 'clinician');
  clinician = createClient({ baseUrl: server.url, apiKey: clinicianKey });
  admin = createClient({ baseUrl: server.url, apiKey: await issueTestApiKey(server.url, 'admin') });
});

afterAll(async () => {
  await server?.close();
});

const photo = (seed: number) => generateSyntheticFundus({ seed, grade: 2, size: 256 });

async function searchStatus(bytes: Uint8Array) {
  const form = new FormData();
  form.append('image', new Blob([new Uint8Array(bytes)]), 'query.dcm');
  const response = await fetch(`${server.url}/api/v1/search?k=3`, { method: 'POST', body: form, headers: { authorization: `Bearer ${clinicianKey}` } });
  return { status: response.status, body: (await response.json()) as { error?: string; message?: string; results?: unknown[] } };
}

describe(`DICOM in (${process.env.CBMIR_TEST_DB ?? 'pglite'})`, () => {
  it('searches with a JPEG baseline or an uncompressed RGB DICOM photograph', async () => {
    for (const transferSyntax of [TRANSFER_SYNTAX.jpegBaseline, TRANSFER_SYNTAX.explicitLittle]) {
      const { status, body } = await searchStatus(await buildTestDicom(await photo(11), { transferSyntax, imageLaterality: 'R' }));
      expect(status).toBe(200);
      expect(body.results).toHaveLength(3);
      // The query's eye and salted patient reference, for "leave out this patient"; never the Patient ID.
      expect((body as { query?: unknown }).query).toEqual({ eye: 'right', patientRef: expect.stringMatching(/^dicom-[0-9a-f]{32}$/) });
    }
  });

  it('refuses a compressed syntax it cannot decode with 415 naming it, and a file without pixels with 422', async () => {
    const jpeg2000 = await searchStatus(await buildTestDicom(await photo(12), { transferSyntax: TRANSFER_SYNTAX.jpeg2000 }));
    expect(jpeg2000.status).toBe(415);
    expect(jpeg2000.body).toMatchObject({ error: 'unsupported_type', message: expect.stringContaining('JPEG 2000 (1.2.840.10008.1.2.4.91) is not supported') });
    const empty = await searchStatus(await buildTestDicom(await photo(12), { withPixels: false }));
    expect(empty.status).toBe(422);
    expect(empty.body.message).toMatch(/no pixel data/);
  });

  it('ingests DICOM from an archive: eye from laterality, a salted patient reference, never the name or birth date', async () => {
    const zip = buildZip([
      { name: 'od.dcm', data: Buffer.from(await buildTestDicom(await photo(21), { imageLaterality: 'R', patientId: 'MRN-777' })) },
      {
        name: 'os.dcm',
        data: Buffer.from(await buildTestDicom(await photo(22), { transferSyntax: TRANSFER_SYNTAX.explicitLittle, laterality: 'L', patientId: 'MRN-777' })),
      },
      { name: 'j2k.dcm', data: Buffer.from(await buildTestDicom(await photo(23), { transferSyntax: TRANSFER_SYNTAX.jpeg2000 })) },
    ]);
    let job: Job = await admin.uploadArchive(new Blob([new Uint8Array(zip)]), { fileName: 'dicom.zip', source: 'camera' });
    const deadline = Date.now() + 120_000;
    while (!['completed', 'failed', 'cancelled'].includes(job.status) && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      job = await admin.job(job.id);
    }
    expect(job).toMatchObject({ status: 'completed', added: 2, failed: 1 });
    const items = (await admin.jobItems(job.id)).items;
    expect(items.find((item) => item.fileName === 'j2k.dcm')).toMatchObject({
      status: 'failed',
      code: 'unsupported_type',
      reason: expect.stringContaining('JPEG 2000'),
    });
    const images: ImageRecord[] = await Promise.all(items.filter((item) => item.status === 'added').map((item) => clinician.image(item.imageId!)));
    const byName = new Map(images.map((image) => [image.metadata.fileName, image]));
    expect(byName.get('od.dcm')).toMatchObject({ eye: 'right', format: 'jpeg', source: 'camera' });
    expect(byName.get('os.dcm')).toMatchObject({ eye: 'left', format: 'png' });
    const ref = byName.get('od.dcm')!.patientRef!;
    expect(ref).toMatch(/^dicom-[0-9a-f]{32}$/);
    expect(byName.get('os.dcm')!.patientRef).toBe(ref);
    for (const image of images) {
      expect(JSON.stringify(image)).not.toMatch(/DOE|JANE|19600101|MRN-777/);
      const original = Buffer.from(
        await (await fetch(`${server.url}${image.originalUrl}`, { headers: { authorization: `Bearer ${clinicianKey}` } })).arrayBuffer(),
      );
      expect(original.toString('latin1')).not.toMatch(/DOE\^JANE|19600101|MRN-777|DICM/);
    }
    // Provenance and the patient's other eye, as the case page shows them.
    expect(byName.get('od.dcm')!.provenance).toMatchObject({ jobId: job.id, fileName: 'od.dcm', ingestedAt: byName.get('od.dcm')!.createdAt });
    expect((await clinician.samePatient(byName.get('od.dcm')!.id)).images).toEqual([
      expect.objectContaining({ id: byName.get('os.dcm')!.id, eye: 'left', source: 'camera' }),
    ]);
    // The reference works as a patient filter: the other eye is left out with its patient.
    const similar = await clinician.similar(byName.get('od.dcm')!.id, 10, { excludeSamePatient: true });
    expect(similar.results.map((hit) => hit.imageId)).not.toContain(byName.get('os.dcm')!.id);
    expect(similar.results).toHaveLength(4);
  });
});
