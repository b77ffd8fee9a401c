import { averagePrecision } from './average-precision.ts';
import { precisionAtK } from './precision-at-k.ts';
import { recallAtK } from './recall-at-k.ts';
import { reciprocalRank } from './reciprocal-rank.ts';

export interface ChanceRanking {
  averagePrecision: number | null;
  reciprocalRank: number | null;
  precisionAt: (k: number) => number;
  recallAt: (k: number) => number | null;
}

/**
 * What a uniformly random ranking scores, in expectation, for a query whose gallery has `galleryCount`
 * items of which `relevantCount` are relevant: the ranking metrics of one tie group holding the whole
 * gallery. So the chance level follows from the grade frequencies of each query's own gallery (after
 * exclusions) and uses the same formulas as the real metrics. E.g. AP = (H_N + (R-1)/(N-1) (N - H_N)) / N
 * (H_N the N-th harmonic number), about R/N for large N: on EyePACS grades the chance MAP is near 0.56.
 */
export function chanceRanking(galleryCount: number, relevantCount: number): ChanceRanking {
  if (relevantCount > galleryCount) throw new RangeError('more relevant items than gallery items');
  const ranking = {
    relevant: new Uint8Array(galleryCount).fill(1, 0, relevantCount),
    distances: new Float64Array(galleryCount),
  };
  return {
    averagePrecision: averagePrecision(ranking),
    reciprocalRank: reciprocalRank(ranking),
    precisionAt: (k) => precisionAtK(ranking, k),
    recallAt: (k) => recallAtK(ranking, k),
  };
}

/** chanceRanking, remembered per (gallery size, relevant count): most queries share a few such pairs. */
export function chanceRankingCache(): (galleryCount: number, relevantCount: number) => ChanceRanking {
  const cache = new Map<string, ChanceRanking>();
  return (galleryCount, relevantCount) => {
    const key = `${galleryCount}/${relevantCount}`;
    let chance = cache.get(key);
    if (!chance) {
      const computed = chanceRanking(galleryCount, relevantCount);
      const at = new Map<number, number>();
      const recall = new Map<number, number | null>();
      chance = {
        averagePrecision: computed.averagePrecision,
        reciprocalRank: computed.reciprocalRank,
        precisionAt: (k) => memo(at, k, computed.precisionAt),
        recallAt: (k) => memo(recall, k, computed.recallAt),
      };
      cache.set(key, chance);
    }
    return chance;
  };
}

/** cache.get(key), computing and keeping compute(key) the first time. */
function memo<V>(cache: Map<number, V>, key: number, compute: (key: number) => V): V {
  if (!cache.has(key)) cache.set(key, compute(key));
  return cache.get(key) as V;
}
