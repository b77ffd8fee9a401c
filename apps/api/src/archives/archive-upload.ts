import { DomainError, InsufficientStorageError, InvalidInputError, TooLargeError, UnsupportedMediaError, MAX_LABEL_FILE_BYTES } from '@cbmir/core';
import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { ContentHashStream } from '@cbmir/imaging';
import type { FastifyRequest } from 'fastify';
import { AppError } from '../errors.ts';

export interface ReceivedUpload {
  archive: { fileName: string; bytes: number; sha256: string } | null;
  labels: { text: string; fileName: string } | null;
  source: string | null;
}

const FIELDS = 'archive (the file), labels (optional CSV file or text), source (optional name)';

async function readLimited(stream: AsyncIterable<Buffer>, maxBytes: number): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  let over = false;
  for await (const chunk of stream) {
    size += chunk.length;
    if (size > maxBytes)
      over = true; // keep draining so the rest of the form still arrives
    else chunks.push(chunk);
  }
  return over ? null : Buffer.concat(chunks);
}

/**
 * Streams a multipart upload to `path` without holding it in memory (hashing it on the way, for the audit
 * trail): field `archive` is the archive, `labels` an optional label file (file or text), `source` an
 * optional source name. The file name the client sends is kept for display only.
 */
export async function receiveArchiveUpload(request: FastifyRequest, options: { path: string; maxBytes: number }): Promise<ReceivedUpload> {
  if (!request.isMultipart()) {
    throw new UnsupportedMediaError('not_multipart', `send multipart/form-data with the fields ${FIELDS}`);
  }
  const received: ReceivedUpload = { archive: null, labels: null, source: null };
  try {
    // throwFileSizeLimit: false -- an oversized archive is cut short and flagged (truncated); we answer 413.
    const parts = request.parts({
      limits: { fileSize: options.maxBytes, files: 2, fields: 4, parts: 6, fieldSize: MAX_LABEL_FILE_BYTES },
      throwFileSizeLimit: false,
    } as Parameters<FastifyRequest['parts']>[0]);
    for await (const part of parts) {
      if (part.type === 'file' && part.fieldname === 'archive' && !received.archive) {
        const hashing = new ContentHashStream();
        await pipeline(part.file, hashing, createWriteStream(options.path, { flags: 'wx' }));
        if (part.file.truncated) {
          throw new TooLargeError('too_large', `the archive is larger than ${Math.round(options.maxBytes / 1024 / 1024)} MB (CBMIR_ARCHIVE_MAX_UPLOAD_MB)`);
        }
        received.archive = { fileName: part.filename || 'archive', ...hashing.result() };
      } else if (part.type === 'file' && part.fieldname === 'labels' && !received.labels) {
        const text = await readLimited(part.file, MAX_LABEL_FILE_BYTES);
        if (!text) throw new TooLargeError('too_large', `the label file is larger than ${MAX_LABEL_FILE_BYTES / 1024 / 1024} MB`);
        received.labels = { text: text.toString('utf8'), fileName: part.filename || 'labels.csv' };
      } else if (part.type === 'field' && part.fieldname === 'labels' && !received.labels) {
        if (part.valueTruncated) throw new TooLargeError('too_large', `the labels are longer than ${MAX_LABEL_FILE_BYTES / 1024 / 1024} MB`);
        received.labels = { text: String(part.value), fileName: 'labels' };
      } else if (part.type === 'field' && part.fieldname === 'source' && received.source === null) {
        const source = String(part.value).trim();
        // eslint-disable-next-line no-control-regex
        // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what this refuses
        if (source.length < 1 || source.length > 200 || /[\u0000-\u001f\u007f]/.test(source)) {
          throw new InvalidInputError('invalid_request', 'source must be 1-200 printable characters');
        }
        received.source = source;
      } else {
        if (part.type === 'file') await readLimited(part.file, 0);
        throw new InvalidInputError('unexpected_field', `unexpected form field "${part.fieldname}": send ${FIELDS}, each once`);
      }
    }
  } catch (error) {
    if (error instanceof DomainError) throw error;
    const e = error as NodeJS.ErrnoException & { statusCode?: number };
    if (e.code === 'ENOSPC') throw new InsufficientStorageError('insufficient_storage', 'the server has no room left for the upload');
    // The parser's own words describe its internals, not the request: they go to the log, not the caller.
    if (e.statusCode && e.statusCode >= 400 && e.statusCode < 500) {
      request.log.info({ err: e }, 'archive upload refused');
      throw new AppError(e.statusCode, 'bad_multipart', 'the form data could not be read');
    }
    // busboy's own errors (malformed or cut-off form data) carry no status.
    if (/multipart|unexpected end|part terminated|malformed|boundary/i.test(e.message ?? '') || e.code === 'ERR_STREAM_PREMATURE_CLOSE') {
      request.log.info({ err: e }, 'archive upload refused');
      throw new InvalidInputError('bad_multipart', 'the form data is malformed or incomplete');
    }
    throw error;
  }
  return received;
}
