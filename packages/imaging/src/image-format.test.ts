import { describe, expect, it } from 'vitest';
import { sniffImageFormat } from './image-format.ts';

const bytes = (...values: number[]): Uint8Array => Uint8Array.from(values);
const text = (s: string): Uint8Array => new TextEncoder().encode(s);

describe('sniffImageFormat', () => {
  it('recognises the four accepted formats by their magic bytes', () => {
    expect(sniffImageFormat(bytes(0xff, 0xd8, 0xff, 0xe0, 0, 0))).toBe('jpeg');
    expect(sniffImageFormat(bytes(0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0))).toBe('png');
    expect(sniffImageFormat(bytes(0x49, 0x49, 0x2a, 0x00, 8, 0, 0, 0))).toBe('tiff');
    expect(sniffImageFormat(bytes(0x4d, 0x4d, 0x00, 0x2a, 0, 0, 0, 8))).toBe('tiff');
    expect(sniffImageFormat(text('RIFF\u0000\u0000\u0000\u0000WEBPVP8 '))).toBe('webp');
  });

  it('rejects other formats and non-images', () => {
    expect(sniffImageFormat(text('%PDF-1.7\n'))).toBeNull();
    expect(sniffImageFormat(text('GIF89a......'))).toBeNull();
    expect(sniffImageFormat(text('<svg xmlns="http://www.w3.org/2000/svg"/>'))).toBeNull();
    expect(sniffImageFormat(text('RIFF\u0000\u0000\u0000\u0000WAVEfmt '))).toBeNull();
    expect(sniffImageFormat(text('hello, world'))).toBeNull();
  });

  it('does not read past a short buffer', () => {
    expect(sniffImageFormat(bytes())).toBeNull();
    expect(sniffImageFormat(bytes(0xff, 0xd8))).toBeNull();
    expect(sniffImageFormat(text('RIFF'))).toBeNull();
  });
});
