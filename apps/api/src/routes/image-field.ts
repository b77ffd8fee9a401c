import { DomainError, InvalidInputError } from '@cbmir/core';
import type { FastifyRequest } from 'fastify';

/**
 * The uploaded image's bytes. Over the upload limit: 413 (Fastify's FST_REQ_FILE_TOO_LARGE). A form the
 * multipart parser cannot read: 400, in our words rather than the parser's.
 */
export async function readImageField(request: FastifyRequest): Promise<Buffer> {
  try {
    const file = await request.file();
    if (file?.fieldname !== 'image') throw new InvalidInputError('missing_image', 'no file in the form field "image"');
    const bytes = await file.toBuffer();
    // toBuffer() misses the limit when busboy flags the file truncated only after handing over its last chunk
    // (fastify-multipart issues #428, #542): the cut-off file would be searched as if whole. Checked again here.
    if (file.file.truncated) throw new request.server.multipartErrors.RequestFileTooLargeError();
    return bytes;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (error instanceof DomainError || (typeof code === 'string' && code.startsWith('FST_'))) throw error;
    request.log.info({ err: error }, 'unreadable multipart form');
    throw new InvalidInputError('malformed_form', 'the multipart form could not be read (malformed or cut short)');
  }
}
