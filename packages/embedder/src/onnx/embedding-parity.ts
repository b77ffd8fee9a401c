export interface EmbeddingDifference {
  /** largest |a - b| over every component of every embedding */
  maxAbs: number;
  /** maxAbs relative to the largest |a| (the embeddings' scale) */
  maxRelative: number;
  /** largest Euclidean distance between an embedding and its counterpart, relative to the reference's norm */
  maxRelativeL2: number;
}

/** How far `other` (e.g. ONNX Runtime) strays from `reference` (TF.js), image by image. */
export function embeddingDifference(reference: Float32Array[], other: Float32Array[]): EmbeddingDifference {
  if (reference.length !== other.length) throw new Error(`${reference.length} reference embeddings, ${other.length} others`);
  let maxAbs = 0;
  let scale = 0;
  let maxRelativeL2 = 0;
  reference.forEach((a, i) => {
    const b = other[i]!;
    if (a.length !== b.length) throw new Error(`embedding ${i} has ${a.length} values in the reference, ${b.length} in the other`);
    let distance = 0;
    let norm = 0;
    for (let j = 0; j < a.length; j++) {
      const d = Math.abs(a[j]! - b[j]!);
      maxAbs = Math.max(maxAbs, d);
      scale = Math.max(scale, Math.abs(a[j]!));
      distance += d * d;
      norm += a[j]! * a[j]!;
    }
    maxRelativeL2 = Math.max(maxRelativeL2, norm > 0 ? Math.sqrt(distance / norm) : Math.sqrt(distance));
  });
  return { maxAbs, maxRelative: scale > 0 ? maxAbs / scale : maxAbs, maxRelativeL2 };
}
