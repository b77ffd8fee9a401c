/** Checks embed() arguments the same way for every engine; returns the values per image. */
export function assertEmbedInputs(images: Float32Array[], inputSize: number): number {
  const pixels = inputSize * inputSize * 3;
  images.forEach((image, i) => {
    if (!(image instanceof Float32Array) || image.length !== pixels) {
      const got = image instanceof Float32Array ? `${image.length} values` : `a ${describe(image)}`;
      throw new Error(
        `embed: image ${i} is ${got}; expected a Float32Array of ${inputSize}*${inputSize}*3 = ${pixels} ` +
          `values (HWC RGB, preprocessed to ${inputSize} px)`,
      );
    }
  });
  return pixels;
}

export function assertBatchSize(batchSize: number): void {
  if (!Number.isInteger(batchSize) || batchSize < 1) {
    throw new Error(`batchSize must be a positive integer, got ${batchSize}`);
  }
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}
