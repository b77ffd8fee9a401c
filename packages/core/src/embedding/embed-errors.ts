import { ImageValidationError } from '@cbmir/imaging';

/**
 * Image `index` of an embed call cannot be embedded: it does not decode, or preprocessing refuses it. The
 * image's own fault; the other images of the call can be embedded without it. Still an
 * ImageValidationError (same code and message), so a query image is refused with the same 4xx as before.
 */
export class RejectedImage extends ImageValidationError {
  constructor(
    readonly index: number,
    error: ImageValidationError,
  ) {
    super(error.code, error.message);
    this.name = 'RejectedImage';
  }
}

/**
 * The embedder failed as a whole (its engine worker died, out of memory, a disposed network): nothing is
 * wrong with the images. Work that hits it fails as a whole with this reason and is retried later, rather
 * than being charged to each image.
 */
export class EmbedderUnavailable extends Error {
  constructor(cause: unknown) {
    super(`the embedder is not working (${cause instanceof Error ? cause.message : String(cause)})`, { cause });
    this.name = 'EmbedderUnavailable';
  }

  static from(error: unknown): EmbedderUnavailable {
    return error instanceof EmbedderUnavailable ? error : new EmbedderUnavailable(error);
  }
}
