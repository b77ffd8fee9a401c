import { createHash, randomBytes } from 'node:crypto';

/** An unguessable token (session cookie, CSRF token, API key secret). */
export const newSecretToken = (bytes = 32) => randomBytes(bytes).toString('base64url');

/** What the database keeps of a secret: its SHA-256, so a leaked table grants nothing. */
export const secretDigest = (secret: string) => createHash('sha256').update(secret).digest('hex');
