import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { isDicom, patientRefOf, unwrapDicom } from './dicom.ts';
import { buildTestDicom, TRANSFER_SYNTAX } from './dicom-test-files.ts';
import { decodeImage } from './decode-image.ts';
import { generateSyntheticFundus } from './synthetic-fundus.ts';

const photo = () => generateSyntheticFundus({ seed: 3, grade: 1, size: 96 });

describe('DICOM in', () => {
  it('takes a JPEG baseline frame out as the JPEG it is, with the eye from Image Laterality', async () => {
    const dicom = await buildTestDicom(await photo(), { imageLaterality: 'R', laterality: 'L', patientId: 'MRN-42' });
    expect(isDicom(dicom)).toBe(true);
    const { bytes, dicom: attributes } = await unwrapDicom(dicom);
    expect(attributes).toEqual({ eye: 'right', patientId: 'MRN-42', transferSyntax: TRANSFER_SYNTAX.jpegBaseline });
    expect(await decodeImage(bytes)).toMatchObject({ format: 'jpeg', width: 96, height: 96 });
    // Nothing of the header travels on: no name, no birth date.
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).not.toContain('DOE^JANE');
    expect(text).not.toContain('19600101');
  });

  it('reads uncompressed RGB, interleaved or planar, into a lossless PNG; the eye from Laterality when Image Laterality is absent', async () => {
    const source = await photo();
    const expected = await sharp(source).removeAlpha().raw().toBuffer();
    for (const planar of [0, 1] as const) {
      const { bytes, dicom } = await unwrapDicom(await buildTestDicom(source, { transferSyntax: TRANSFER_SYNTAX.explicitLittle, planar, laterality: 'L' }));
      expect(dicom!.eye).toBe('left');
      expect((await decodeImage(bytes)).format).toBe('png');
      expect(Buffer.compare(await sharp(bytes).raw().toBuffer(), expected)).toBe(0);
    }
  });

  it('refuses a compressed syntax it cannot decode, naming it, and a file without pixel data', async () => {
    const jpeg2000 = await buildTestDicom(await photo(), { transferSyntax: TRANSFER_SYNTAX.jpeg2000 });
    await expect(unwrapDicom(jpeg2000)).rejects.toMatchObject({
      code: 'unsupported_type',
      message: expect.stringContaining('JPEG 2000 (1.2.840.10008.1.2.4.91)'),
    });
    const empty = await buildTestDicom(await photo(), { withPixels: false });
    await expect(unwrapDicom(empty)).rejects.toMatchObject({ code: 'undecodable', message: expect.stringMatching(/no pixel data/) });
    const cut = (await buildTestDicom(await photo())).subarray(0, 200);
    await expect(unwrapDicom(cut)).rejects.toMatchObject({ code: 'undecodable' });
  });

  it('passes other images through and keeps only a salted hash of the Patient ID', async () => {
    const jpeg = await photo();
    expect(await unwrapDicom(jpeg)).toEqual({ bytes: jpeg, dicom: null });
    const ref = patientRefOf('MRN-42', 'salt-a');
    expect(ref).toMatch(/^dicom-[0-9a-f]{32}$/);
    expect(ref).not.toContain('MRN');
    expect(patientRefOf('MRN-42', 'salt-a')).toBe(ref);
    expect(patientRefOf('MRN-42', 'salt-b')).not.toBe(ref);
  });
});
