/**
 * Why an uploaded file was refused. The codes are part of the public API: the server returns them as
 * the `error` field of its error body, so a client can react without parsing the message.
 */
export type ImageErrorCode = 'unsupported_type' | 'undecodable' | 'too_large' | 'too_small' | 'empty';

/** The only error the imaging functions throw for bad input; anything else is a bug. */
export class ImageValidationError extends Error {
  readonly code: ImageErrorCode;

  constructor(code: ImageErrorCode, message: string) {
    super(message);
    this.name = 'ImageValidationError';
    this.code = code;
  }
}

export function isImageValidationError(error: unknown): error is ImageValidationError {
  return error instanceof ImageValidationError;
}
