/**
 * Checks preprocessed images: each a Float32Array of inputSize*inputSize*3 values (HWC RGB). `what` names
 * the offending one in the error.
 */
export function assertImages(images: Float32Array[], inputSize: number, what = (i: number) => `embed: image ${i}`): void {
  const pixels = inputSize * inputSize * 3;
  images.forEach((image, i) => {
    if (!(image instanceof Float32Array) || image.length !== pixels) {
      const got = image instanceof Float32Array ? `${image.length} values` : `a ${describe(image)}`;
      throw new Error(
        `${what(i)} is ${got}; expected a Float32Array of ${inputSize}*${inputSize}*3 = ${pixels} ` + `values (HWC RGB, preprocessed to ${inputSize} px)`,
      );
    }
  });
}

/** Checks images (see assertImages) and packs them back to back into one NHWC batch, the input of every engine and of training. */
export function packImages(images: Float32Array[], inputSize: number, what = (i: number) => `embed: image ${i}`): Float32Array<ArrayBuffer> {
  assertImages(images, inputSize, what);
  const pixels = inputSize * inputSize * 3;
  const data = new Float32Array(images.length * pixels);
  images.forEach((image, i) => data.set(image, i * pixels));
  return data;
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

/**
 * embed() for every engine: checks the arguments, packs each batch of images into one NHWC Float32Array,
 * runs it (`run` returns the batch's vectors back to back) and splits the result into one vector per image.
 */
export async function embedInBatches(
  images: Float32Array[],
  shape: { inputSize: number; embeddingDim: number },
  batchSize: number,
  run: (data: Float32Array<ArrayBuffer>, count: number) => Promise<Float32Array>,
): Promise<Float32Array[]> {
  assertBatchSize(batchSize);
  const { inputSize, embeddingDim } = shape;
  assertImages(images, inputSize); // every image checked before the first batch runs
  const embeddings: Float32Array[] = [];
  for (let start = 0; start < images.length; start += batchSize) {
    const batch = images.slice(start, start + batchSize);
    const data = packImages(batch, inputSize);
    const values = await run(data, batch.length);
    if (values.length !== batch.length * embeddingDim) {
      throw new Error(`the model returned ${values.length} values for ${batch.length} images of ${embeddingDim} dimensions`);
    }
    for (let j = 0; j < batch.length; j++) embeddings.push(values.slice(j * embeddingDim, (j + 1) * embeddingDim));
  }
  return embeddings;
}
