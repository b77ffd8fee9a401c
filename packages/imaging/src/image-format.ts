/** The formats we accept. Fundus cameras and datasets deliver JPEG, PNG or TIFF; browsers may send WebP. */
export type ImageFormat = 'jpeg' | 'png' | 'tiff' | 'webp';

export const SUPPORTED_IMAGE_FORMATS: readonly ImageFormat[] = ['jpeg', 'png', 'tiff', 'webp'];

/**
 * Identifies the format from the leading magic bytes, or null when it is not one we accept.
 * We sniff ourselves instead of asking sharp because libvips would happily parse SVG, PDF, GIF,
 * HEIF and more; keeping untrusted bytes away from those decoders shrinks the attack surface and
 * keeps "what we accept" a short, reviewable list.
 */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  const startsWith = (signature: readonly number[], offset = 0): boolean =>
    bytes.length >= offset + signature.length && signature.every((b, i) => bytes[offset + i] === b);

  if (startsWith([0xff, 0xd8, 0xff])) return 'jpeg';
  if (startsWith([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return 'png';
  // Classic TIFF (42) and BigTIFF (43), in both byte orders.
  if (
    startsWith([0x49, 0x49, 0x2a, 0x00]) ||
    startsWith([0x4d, 0x4d, 0x00, 0x2a]) ||
    startsWith([0x49, 0x49, 0x2b, 0x00]) ||
    startsWith([0x4d, 0x4d, 0x00, 0x2b])
  ) {
    return 'tiff';
  }
  // RIFF container: "RIFF" <size> "WEBP".
  if (startsWith([0x52, 0x49, 0x46, 0x46]) && startsWith([0x57, 0x45, 0x42, 0x50], 8)) return 'webp';
  return null;
}
