import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

/**
 * The uploaded image's bytes. Over the upload limit: 413 (Fastify's FST_REQ_FILE_TOO_LARGE). A form the
 * multipart parser cannot read: 400, in our words rather than the parser's.
 */
export async function readImageField(request: FastifyRequest): Promise<Buffer> {
  try {
    const file = await request.file();
    if (file?.fieldname !== 'image') throw new AppError(400, 'missing_image', 'no file in the form field "image"');
    return await file.toBuffer();
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof AppError || (typeof code === 'string' && code.startsWith('FST_'))) throw error;
    request.log.info({ err: error }, 'unreadable multipart form');
    throw new AppError(400, 'malformed_form', 'the multipart form could not be read (malformed or cut short)');
  }
}
