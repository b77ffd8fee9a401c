import sharp from 'sharp';

/**
 * For tests: a tiny DICOM Part 10 writer (explicit VR little endian data set), enough to build the
 * ophthalmic photographs the upload path must read or refuse, without shipping binary fixtures.
 */

const OPHTHALMIC_PHOTOGRAPHY_8BIT = '1.2.840.10008.5.1.4.1.1.77.1.5.1';
export const TRANSFER_SYNTAX = {
  explicitLittle: '1.2.840.10008.1.2.1',
  jpegBaseline: '1.2.840.10008.1.2.4.50',
  jpeg2000: '1.2.840.10008.1.2.4.91',
} as const;

type Value = { vr: string; bytes: Uint8Array; undefinedLength?: boolean };
const LONG_VRS = new Set(['OB', 'OW', 'OF', 'SQ', 'UT', 'UN']);

const text = (vr: string, value: string): Value => {
  const padded = value.length % 2 === 0 ? value : value + (vr === 'UI' ? '\0' : ' ');
  return { vr, bytes: new TextEncoder().encode(padded) };
};
const us = (value: number): Value => ({ vr: 'US', bytes: new Uint8Array(new Uint16Array([value]).buffer) });
const ul = (value: number): Value => ({ vr: 'UL', bytes: new Uint8Array(new Uint32Array([value]).buffer) });

function element(tag: number, value: Value): Uint8Array {
  const long = LONG_VRS.has(value.vr);
  const header = new DataView(new ArrayBuffer(long ? 12 : 8));
  header.setUint16(0, tag >>> 16, true);
  header.setUint16(2, tag & 0xffff, true);
  header.setUint8(4, value.vr.charCodeAt(0));
  header.setUint8(5, value.vr.charCodeAt(1));
  if (long) header.setUint32(8, value.undefinedLength ? 0xffffffff : value.bytes.length, true);
  else header.setUint16(6, value.bytes.length, true);
  return concat([new Uint8Array(header.buffer), value.bytes]);
}

function item(tag: number, bytes: Uint8Array): Uint8Array {
  const header = new DataView(new ArrayBuffer(8));
  header.setUint16(0, 0xfffe, true);
  header.setUint16(2, tag, true);
  header.setUint32(4, bytes.length, true);
  return concat([new Uint8Array(header.buffer), bytes]);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export interface TestDicomOptions {
  transferSyntax?: string;
  /** Image Laterality (0020,0062): 'R', 'L', 'B', 'U'. */
  imageLaterality?: string;
  /** Laterality (0020,0060), the series-level attribute. */
  laterality?: string;
  patientName?: string;
  patientId?: string;
  birthDate?: string;
  /** false: no Pixel Data element at all. */
  withPixels?: boolean;
  /** Uncompressed only: 1 writes the colour planes one after another. */
  planar?: 0 | 1;
}

/** A DICOM photograph holding `image` (any picture sharp reads), as JPEG baseline or uncompressed RGB. */
export async function buildTestDicom(image: Uint8Array, options: TestDicomOptions = {}): Promise<Uint8Array> {
  const transferSyntax = options.transferSyntax ?? TRANSFER_SYNTAX.jpegBaseline;
  const { data, info } = await sharp(image).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const encapsulated = transferSyntax !== TRANSFER_SYNTAX.explicitLittle;
  let pixels: Uint8Array = new Uint8Array(data);
  if (!encapsulated && options.planar === 1) {
    const plane = info.width * info.height;
    pixels = new Uint8Array(plane * 3);
    for (let i = 0; i < plane; i++) for (let c = 0; c < 3; c++) pixels[c * plane + i] = data[i * 3 + c]!;
  }
  const frame = encapsulated ? new Uint8Array(await sharp(image).jpeg({ quality: 95 }).toBuffer()) : pixels;
  const framePadded = frame.length % 2 === 0 ? frame : concat([frame, new Uint8Array(1)]);

  const meta = concat([
    element(0x00020001, { vr: 'OB', bytes: new Uint8Array([0, 1]) }),
    element(0x00020002, text('UI', OPHTHALMIC_PHOTOGRAPHY_8BIT)),
    element(0x00020003, text('UI', '2.25.1234567890')),
    element(0x00020010, text('UI', transferSyntax)),
  ]);
  const elements: [number, Value][] = [
    [0x00080016, text('UI', OPHTHALMIC_PHOTOGRAPHY_8BIT)],
    [0x00080060, text('CS', 'OP')],
    [0x00100010, text('PN', options.patientName ?? 'DOE^JANE')],
    [0x00100020, text('LO', options.patientId ?? 'MRN-0001')],
    [0x00100030, text('DA', options.birthDate ?? '19600101')],
  ];
  if (options.laterality) elements.push([0x00200060, text('CS', options.laterality)]);
  if (options.imageLaterality) elements.push([0x00200062, text('CS', options.imageLaterality)]);
  elements.push(
    [0x00280002, us(3)],
    [0x00280004, text('CS', encapsulated ? 'YBR_FULL_422' : 'RGB')],
    [0x00280006, us(options.planar ?? 0)],
    [0x00280010, us(info.height)],
    [0x00280011, us(info.width)],
    [0x00280100, us(8)],
    [0x00280101, us(8)],
    [0x00280102, us(7)],
    [0x00280103, us(0)],
  );
  const body = elements.map(([tag, value]) => element(tag, value));
  if (options.withPixels !== false) {
    body.push(
      encapsulated
        ? concat([
            element(0x7fe00010, { vr: 'OB', bytes: new Uint8Array(0), undefinedLength: true }),
            item(0xe000, new Uint8Array(0)), // empty basic offset table
            item(0xe000, framePadded),
            item(0xe0dd, new Uint8Array(0)), // sequence delimiter
          ])
        : element(0x7fe00010, { vr: 'OB', bytes: framePadded }),
    );
  }
  const preamble = concat([new Uint8Array(128), new TextEncoder().encode('DICM')]);
  return concat([preamble, element(0x00020000, ul(meta.length)), meta, ...body]);
}
