import { createHmac } from 'node:crypto';
import dicomParser from 'dicom-parser';
import sharp from 'sharp';
import { ImageValidationError } from './image-error.ts';

/**
 * DICOM in (Ophthalmic Photography and other single-frame colour photographs): the pixel data is taken out
 * as an ordinary image (the JPEG baseline frame as it is, uncompressed pixels as a lossless PNG), so the rest
 * of the data path, and the stored original, never hold the DICOM header with the patient's name and birth
 * date. Of the header only the eye and the Patient ID are kept, the latter as a salted hash.
 */

const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';
const UNCOMPRESSED = new Set(['1.2.840.10008.1.2', '1.2.840.10008.1.2.1']);

const TRANSFER_SYNTAX_NAMES: Record<string, string> = {
  '1.2.840.10008.1.2': 'Implicit VR Little Endian',
  '1.2.840.10008.1.2.1': 'Explicit VR Little Endian',
  '1.2.840.10008.1.2.1.99': 'Deflated Explicit VR Little Endian',
  '1.2.840.10008.1.2.2': 'Explicit VR Big Endian',
  '1.2.840.10008.1.2.4.50': 'JPEG Baseline (Process 1)',
  '1.2.840.10008.1.2.4.51': 'JPEG Extended (Process 2 & 4)',
  '1.2.840.10008.1.2.4.57': 'JPEG Lossless (Process 14)',
  '1.2.840.10008.1.2.4.70': 'JPEG Lossless, First-Order Prediction (Process 14, SV1)',
  '1.2.840.10008.1.2.4.80': 'JPEG-LS Lossless',
  '1.2.840.10008.1.2.4.81': 'JPEG-LS Near-Lossless',
  '1.2.840.10008.1.2.4.90': 'JPEG 2000 Lossless Only',
  '1.2.840.10008.1.2.4.91': 'JPEG 2000',
  '1.2.840.10008.1.2.4.201': 'High-Throughput JPEG 2000 Lossless Only',
  '1.2.840.10008.1.2.4.203': 'High-Throughput JPEG 2000',
  '1.2.840.10008.1.2.5': 'RLE Lossless',
};

/** What cbmir keeps of a DICOM header. */
export interface DicomAttributes {
  /** From Image Laterality (0020,0062), else Laterality (0020,0060); null when neither says R or L. */
  eye: 'left' | 'right' | null;
  /** Patient ID (0010,0020) as given; callers store only patientRefOf(it). */
  patientId: string | null;
  transferSyntax: string;
}

export interface UnwrappedImage {
  /** The image to validate, store and embed: the input itself unless it was DICOM. */
  bytes: Uint8Array;
  dicom: DicomAttributes | null;
}

/** DICOM Part 10: a 128-byte preamble, then "DICM". */
export function isDicom(bytes: Uint8Array): boolean {
  return bytes.length >= 132 && bytes[128] === 0x44 && bytes[129] === 0x49 && bytes[130] === 0x43 && bytes[131] === 0x4d;
}

/** A stable, non-reversible patient reference: HMAC-SHA-256 of the Patient ID under this installation's salt. */
export function patientRefOf(patientId: string, salt: string): string {
  return `dicom-${createHmac('sha256', salt).update(patientId).digest('hex').slice(0, 32)}`;
}

const syntaxName = (uid: string) => (TRANSFER_SYNTAX_NAMES[uid] ? `${TRANSFER_SYNTAX_NAMES[uid]} (${uid})` : uid);

function eyeOf(code: string | undefined): 'left' | 'right' | null {
  const value = code?.trim().toUpperCase();
  return value === 'R' ? 'right' : value === 'L' ? 'left' : null;
}

/**
 * Non-DICOM input comes back as it is. DICOM comes back as its image (JPEG or PNG) and the attributes kept.
 * Throws ImageValidationError: unsupported_type naming the transfer syntax or pixel layout we cannot read,
 * undecodable for a damaged file or one without pixel data.
 */
export async function unwrapDicom(bytes: Uint8Array): Promise<UnwrappedImage> {
  if (!isDicom(bytes)) return { bytes, dicom: null };
  let dataSet: ReturnType<typeof dicomParser.parseDicom>;
  try {
    dataSet = dicomParser.parseDicom(bytes);
  } catch (error) {
    const detail = typeof error === 'string' ? error : error instanceof Error ? error.message : 'unreadable header';
    throw new ImageValidationError('undecodable', `The DICOM file could not be read (${detail.replace(/^dicomParser\.\w+: /, '')}).`);
  }
  const transferSyntax = dataSet.string('x00020010')?.trim() ?? '';
  const dicom: DicomAttributes = {
    eye: eyeOf(dataSet.string('x00200062')) ?? eyeOf(dataSet.string('x00200060')),
    patientId: dataSet.string('x00100020')?.trim() || null,
    transferSyntax,
  };
  const pixelData = dataSet.elements.x7fe00010;
  if (!pixelData || pixelData.length === 0) {
    throw new ImageValidationError('undecodable', 'The DICOM file has no pixel data (7FE0,0010): it holds no image to search with.');
  }
  if (transferSyntax === JPEG_BASELINE) {
    if (!pixelData.encapsulatedPixelData || !pixelData.fragments?.length) {
      throw new ImageValidationError('undecodable', 'The DICOM file declares JPEG Baseline but its pixel data is not encapsulated.');
    }
    // The first frame: all of it when there is one frame, else as the offset table says.
    const frames = Number(dataSet.string('x00280008') ?? '1') || 1;
    const frame =
      frames === 1
        ? dicomParser.readEncapsulatedPixelDataFromFragments(dataSet, pixelData, 0, pixelData.fragments.length)
        : dicomParser.readEncapsulatedImageFrame(dataSet, pixelData, 0, dicomParser.createJPEGBasicOffsetTable(dataSet, pixelData));
    return { bytes: new Uint8Array(frame), dicom };
  }
  if (!UNCOMPRESSED.has(transferSyntax)) {
    throw new ImageValidationError(
      'unsupported_type',
      `DICOM transfer syntax ${syntaxName(transferSyntax || 'missing')} is not supported: send JPEG Baseline (1.2.840.10008.1.2.4.50) or uncompressed RGB.`,
    );
  }
  return { bytes: await uncompressedToPng(dataSet, pixelData), dicom };
}

async function uncompressedToPng(
  dataSet: ReturnType<typeof dicomParser.parseDicom>,
  pixelData: NonNullable<ReturnType<typeof dicomParser.parseDicom>['elements'][string]>,
): Promise<Uint8Array> {
  const width = dataSet.uint16('x00280011') ?? 0;
  const height = dataSet.uint16('x00280010') ?? 0;
  const samples = dataSet.uint16('x00280002') ?? 0;
  const bits = dataSet.uint16('x00280100') ?? 0;
  const photometric = dataSet.string('x00280004')?.trim() ?? '';
  const planar = dataSet.uint16('x00280006') ?? 0;
  if (!(samples === 3 && photometric === 'RGB') && !(samples === 1 && photometric === 'MONOCHROME2')) {
    throw new ImageValidationError(
      'unsupported_type',
      `DICOM pixels with ${samples} samples, ${photometric || 'no'} photometric interpretation are not supported: send RGB.`,
    );
  }
  if (bits !== 8) throw new ImageValidationError('unsupported_type', `DICOM pixels of ${bits} bits are not supported: send 8-bit RGB.`);
  const size = width * height * samples;
  if (!(width > 0 && height > 0) || pixelData.length < size) {
    throw new ImageValidationError('undecodable', `The DICOM pixel data is shorter than its ${width}x${height} size says.`);
  }
  const source = new Uint8Array(dataSet.byteArray.buffer, dataSet.byteArray.byteOffset + pixelData.dataOffset, size);
  let pixels = source;
  if (samples === 3 && planar === 1) {
    // Planes RRR..GGG..BBB.. to interleaved RGBRGB..
    pixels = new Uint8Array(size);
    const plane = width * height;
    for (let i = 0; i < plane; i++) {
      pixels[i * 3] = source[i]!;
      pixels[i * 3 + 1] = source[plane + i]!;
      pixels[i * 3 + 2] = source[2 * plane + i]!;
    }
  }
  const png = await sharp(pixels, { raw: { width, height, channels: samples as 1 | 3 } })
    .png()
    .toBuffer();
  return new Uint8Array(png.buffer, png.byteOffset, png.byteLength);
}
