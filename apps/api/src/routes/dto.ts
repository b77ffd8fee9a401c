import type { ModelVersion, SearchResponse } from '@cbmir/contract';
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

type SearchFound = Pick<SearchResponse, 'results' | 'suggestion' | 'matching' | 'matchingCapped' | 'shortfall'> & { model: StoredModelVersion };

/** What every search answer (contract SearchResponse) carries from the search service's result; routes add their own parts. */
export function toSearchAnswer(found: SearchFound): Pick<SearchResponse, 'model' | 'results' | 'suggestion' | 'matching' | 'matchingCapped' | 'shortfall'> {
  const { model, results, suggestion, matching, matchingCapped, shortfall } = found;
  return { model: toModelVersionDto(model), results, suggestion, matching, matchingCapped, shortfall };
}
