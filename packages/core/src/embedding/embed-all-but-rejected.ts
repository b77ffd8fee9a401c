import type { DecodedImage } from '@cbmir/imaging';
import { RejectedImage } from './embed-errors.ts';
import type { LoadedModel, ModelRuntime } from '../models/model-runtime.ts';

/**
 * Embeds the items' images in one call. An image preprocessing refuses (RejectedImage) is handed to
 * `onRejected` and the others are embedded again without it, still as one batch; any other error is thrown
 * for the caller's own policy. Returns the embedded items with their vectors, in order.
 */
export async function embedAllButRejected<T>(
  runtime: Pick<ModelRuntime, 'embedImages'>,
  model: LoadedModel,
  items: T[],
  imageOf: (item: T) => Uint8Array | DecodedImage,
  onRejected: (item: T, error: RejectedImage) => void | Promise<void>,
): Promise<{ item: T; vector: Float32Array }[]> {
  let pending = items;
  while (pending.length > 0) {
    try {
      const vectors = await runtime.embedImages(pending.map(imageOf), model);
      return pending.map((item, i) => ({ item, vector: vectors[i]! }));
    } catch (error) {
      const rejected = error instanceof RejectedImage ? pending[error.index] : undefined;
      if (rejected === undefined) throw error;
      await onRejected(rejected, error as RejectedImage);
      pending = pending.filter((item) => item !== rejected);
    }
  }
  return [];
}
