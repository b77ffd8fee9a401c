import type { ModelVersion } from '@cbmir/contract';
import type { StoredModelVersion } from '@cbmir/db';

/** The REST form of a model version (contract ModelVersion). */
export function toModelVersionDto(version: StoredModelVersion): ModelVersion {
  return {
    id: version.id,
    name: version.name,
    architecture: version.architecture,
    embeddingDim: version.embeddingDim,
    inputSize: version.inputSize,
    preprocessing: version.preprocessing,
    trained: version.trained,
    active: version.active,
    createdAt: version.createdAt.toISOString(),
  };
}
