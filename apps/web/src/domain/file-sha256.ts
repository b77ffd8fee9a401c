/**
 * SHA-256 of a file's bytes, hex, as the server names stored images; null where the browser offers no
 * Web Crypto (pages served over plain HTTP from a host other than localhost).
 */
export async function fileSha256(file: Blob): Promise<string | null> {
  if (typeof crypto === 'undefined' || !crypto.subtle) return null;
  const digest = await crypto.subtle.digest('SHA-256', await file.arrayBuffer());
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
