import { createRandom } from '@cbmir/seeded-random';
import { averagePrecision } from './average-precision.ts';
import { chanceRankingCache } from './chance-levels.ts';
import { nearestK, squaredDistances, type VectorMatrix } from './exact-knn.ts';
import { knnVote, VOTE_K } from './knn-vote.ts';
import { precisionAtK } from './precision-at-k.ts';
import { precisionRecallCurve, RECALL_LEVELS } from './precision-recall-curve.ts';
import { confusionMatrix, quadraticWeightedKappa } from './quadratic-kappa.ts';
import type { Ranking } from './ranking.ts';
import { recallAtK } from './recall-at-k.ts';
import { reciprocalRank } from './reciprocal-rank.ts';

export const GRADES = [0, 1, 2, 3, 4] as const;
export const PRECISION_KS = [1, 5, 10] as const;
export const RECALL_K = 10;

/** One labelled image: key identifies the picture (its content hash), so a copy in both sets is caught. */
export interface LabelledItem {
  key: string;
  /** DR grade 0-4. */
  grade: number;
  /** Both eyes of a patient (and repeat visits) share it; null when unknown. */
  patient: string | null;
}

export interface EvaluationSet {
  items: LabelledItem[];
  vectors: VectorMatrix;
}

export interface EvaluationOptions {
  /**
   * Where queries search. Absent: the query set itself, leaving out each query, its own patient's other
   * images and copies of the same picture. Present (the paper's train/test protocol): this separate set,
   * still leaving out the query's patient and copies of the same picture, so nothing leaks across.
   */
  gallery?: EvaluationSet | undefined;
  /** Seeds the random-ranking baseline of the vote. */
  seed?: number;
  /** Random rankings averaged for the vote's chance level. */
  chanceRepeats?: number;
  onProgress?: (done: number, total: number) => void;
}

/** Ranking metrics over queries with at least one relevant gallery item; vote metrics over all queries. */
export interface MetricSet {
  /** Queries with at least one relevant item in their gallery: the ranking metrics average over these. */
  queries: number;
  map: number | null;
  mrr: number | null;
  precisionAt1: number | null;
  precisionAt5: number | null;
  precisionAt10: number | null;
  recallAt10: number | null;
  /** Share of queries whose 10-NN distance-weighted vote gives their own grade (per grade: its recall). */
  voteAccuracy: number | null;
}

export interface OverallMetrics extends MetricSet {
  /** Mean of the per-grade MAPs: every grade weighs the same, whatever its frequency. */
  macroMap: number | null;
  /** Quadratic weighted kappa between the vote and the true grades. */
  voteKappa: number | null;
}

export interface GradeMetrics {
  grade: number;
  /** Query images of this grade. */
  count: number;
  metrics: MetricSet;
  chance: MetricSet;
}

export interface EvaluationResult {
  protocol: 'leave-patient-out' | 'gallery';
  counts: {
    queries: number;
    gallery: number;
    /** Queries whose gallery held no image of their grade (left out of the ranking metrics). */
    queriesWithoutRelevant: number;
    /** Query-gallery pairs left out because both images are of one patient. */
    excludedSamePatient: number;
    /** Query-gallery pairs left out because they are the same picture (same content hash). */
    excludedSameImage: number;
  };
  gradeCounts: { queries: number[]; gallery: number[] };
  overall: OverallMetrics;
  /** What a uniformly random ranking scores (expectation; the vote's from seeded random rankings). */
  chance: OverallMetrics;
  perGrade: GradeMetrics[];
  /** Vote confusion matrix, [true grade][voted grade]. */
  voteConfusion: number[][];
  /** Mean interpolated precision at each recall level, overall and per grade; chance: mean R/N. */
  prCurve: { recall: number[]; precision: number[]; perGrade: { grade: number; precision: number[] }[]; chancePrecision: number | null };
}

const QUERY_BLOCK = 64;

/** Ranks the whole gallery for every query (exact, in memory) and computes every metric with its chance level. */
export function runEvaluation(queries: EvaluationSet, options: EvaluationOptions = {}): EvaluationResult {
  const gallery = options.gallery ?? queries;
  const selfSearch = options.gallery === undefined;
  const q = queries.items.length;
  const n = gallery.items.length;
  if (q === 0) throw new RangeError('no query images');
  if (n === 0) throw new RangeError('no gallery images');
  for (const set of [queries, gallery]) {
    if (set.vectors.count !== set.items.length) throw new RangeError(`${set.items.length} items but ${set.vectors.count} vectors`);
    for (const item of set.items) {
      if (!Number.isInteger(item.grade) || item.grade < 0 || item.grade > 4) throw new RangeError(`grade must be 0-4, got ${item.grade}`);
    }
    const bad = set.vectors.data.findIndex((v) => !Number.isFinite(v));
    if (bad >= 0) throw new RangeError(`vector ${Math.floor(bad / set.vectors.dim)} has a non-finite value (${set.vectors.data[bad]})`);
  }

  const byPatient = groupIndices(gallery.items, (item) => item.patient);
  const byKey = groupIndices(gallery.items, (item) => item.key);
  const galleryGrades = Int8Array.from(gallery.items, (item) => item.grade);

  const ap = new Float64Array(q).fill(NaN);
  const rr = new Float64Array(q).fill(NaN);
  const pAt = PRECISION_KS.map(() => new Float64Array(q).fill(NaN));
  const recall = new Float64Array(q).fill(NaN);
  const chanceAp = new Float64Array(q).fill(NaN);
  const chanceRr = new Float64Array(q).fill(NaN);
  const chancePAt = PRECISION_KS.map(() => new Float64Array(q).fill(NaN));
  const chanceRecall = new Float64Array(q).fill(NaN);
  const chancePrecision = new Float64Array(q).fill(NaN);
  const voted = new Int8Array(q).fill(-1);
  const repeats = options.chanceRepeats ?? 5;
  const chanceVoted = Array.from({ length: repeats }, () => new Int8Array(q).fill(-1));
  const curveSum = GRADES.map(() => new Float64Array(RECALL_LEVELS.length));
  const curveCount = GRADES.map(() => 0);

  const random = createRandom(options.seed ?? 42).next;
  const chanceOf = chanceRankingCache();
  const stamp = new Int32Array(n).fill(-1);
  const candidates = new Uint32Array(n);
  const picked = new Int32Array(VOTE_K);
  const relevant = new Uint8Array(n);
  const distances = new Float64Array(n);
  const relevantDistances = new Float64Array(n);
  const nearestIndex = new Uint32Array(VOTE_K);
  const nearestSquared = new Float64Array(VOTE_K);
  const voteGrades = new Int8Array(VOTE_K);
  const voteDistances = new Float64Array(VOTE_K).fill(1);
  const rows = new Float64Array(Math.min(QUERY_BLOCK, q) * n);
  let excludedSamePatient = 0;
  let excludedSameImage = 0;
  let withoutRelevant = 0;

  for (let from = 0; from < q; from += QUERY_BLOCK) {
    const to = Math.min(q, from + QUERY_BLOCK);
    squaredDistances(queries.vectors, gallery.vectors, from, to, rows);
    for (let i = from; i < to; i++) {
      const query = queries.items[i]!;
      const row = rows.subarray((i - from) * n, (i - from + 1) * n);
      if (selfSearch) stamp[i] = i;
      for (const j of byKey.get(query.key) ?? []) {
        if (stamp[j] !== i) {
          stamp[j] = i;
          excludedSameImage++;
        }
      }
      for (const j of query.patient === null ? [] : (byPatient.get(query.patient) ?? [])) {
        if (stamp[j] !== i) {
          stamp[j] = i;
          excludedSamePatient++;
        }
      }
      let m = 0;
      for (let j = 0; j < n; j++) if (stamp[j] !== i) candidates[m++] = j;
      if (m === 0) continue;

      // The vote's chance level: the same vote over random neighbours (k distinct draws by rejection).
      const draws = Math.min(VOTE_K, m);
      for (let r = 0; r < repeats; r++) {
        for (let t = 0; t < draws; t++) {
          let pick: number;
          do pick = Math.floor(random() * m);
          while (picked.subarray(0, t).includes(pick));
          picked[t] = pick;
          voteGrades[t] = galleryGrades[candidates[pick]!]!;
        }
        chanceVoted[r]![i] = knnVote(voteGrades.subarray(0, draws), voteDistances, draws) ?? -1;
      }

      // The metrics need only where the relevant items fall, not which item is where: sort the distances
      // of all candidates and of the relevant ones natively (no comparator) and merge them into tie groups.
      let relevantCount = 0;
      for (let t = 0; t < m; t++) {
        const j = candidates[t]!;
        distances[t] = row[j]!;
        if (galleryGrades[j] === query.grade) relevantDistances[relevantCount++] = row[j]!;
      }
      const sorted = distances.subarray(0, m).sort();
      const sortedRelevant = relevantDistances.subarray(0, relevantCount).sort();
      for (let t = 0, r = 0; t < m; ) {
        let end = t + 1;
        while (end < m && sorted[end] === sorted[t]) end++;
        let inGroup = 0;
        while (r < relevantCount && sortedRelevant[r]! <= sorted[t]!) {
          r++;
          inGroup++;
        }
        // Inside a tie group the order does not matter to the (tie-aware) metrics.
        for (let u = t; u < end; u++) relevant[u] = u - t < inGroup ? 1 : 0;
        t = end;
      }
      const take = nearestK(candidates.subarray(0, m), row, VOTE_K, nearestIndex, nearestSquared);
      const nearestDistances = new Float64Array(take);
      for (let t = 0; t < take; t++) {
        voteGrades[t] = galleryGrades[nearestIndex[t]!]!;
        nearestDistances[t] = Math.sqrt(nearestSquared[t]!);
      }
      voted[i] = knnVote(voteGrades.subarray(0, take), nearestDistances, take) ?? -1;

      if (relevantCount === 0) {
        withoutRelevant++;
        continue;
      }
      const ranking: Ranking = { relevant: relevant.subarray(0, m), distances: sorted };
      ap[i] = averagePrecision(ranking)!;
      rr[i] = reciprocalRank(ranking)!;
      PRECISION_KS.forEach((k, x) => (pAt[x]![i] = precisionAtK(ranking, k)));
      recall[i] = recallAtK(ranking, RECALL_K)!;
      const curve = precisionRecallCurve(ranking)!;
      const sum = curveSum[query.grade]!;
      for (let l = 0; l < curve.length; l++) sum[l]! += curve[l]!;
      curveCount[query.grade]!++;

      const chance = chanceOf(m, relevantCount);
      chanceAp[i] = chance.averagePrecision!;
      chanceRr[i] = chance.reciprocalRank!;
      PRECISION_KS.forEach((k, x) => (chancePAt[x]![i] = chance.precisionAt(k)));
      chanceRecall[i] = chance.recallAt(RECALL_K)!;
      chancePrecision[i] = relevantCount / m;
    }
    options.onProgress?.(to, q);
  }

  const queryGrades = Int8Array.from(queries.items, (item) => item.grade);
  const all = (i: number) => i >= 0;
  const metricSet = (
    include: (i: number) => boolean,
    values: { ap: Float64Array; rr: Float64Array; pAt: Float64Array[]; recall: Float64Array; voted: Int8Array[] },
  ): MetricSet => {
    const indices = [...queryGrades.keys()].filter(include);
    const ranked = indices.filter((i) => !Number.isNaN(values.ap[i]!));
    const voteAccuracies = values.voted.map((v) => {
      const cast = indices.filter((i) => v[i]! >= 0);
      return cast.length ? cast.filter((i) => v[i] === queryGrades[i]).length / cast.length : null;
    });
    return {
      queries: ranked.length,
      map: mean(ranked, values.ap),
      mrr: mean(ranked, values.rr),
      precisionAt1: mean(ranked, values.pAt[0]!),
      precisionAt5: mean(ranked, values.pAt[1]!),
      precisionAt10: mean(ranked, values.pAt[2]!),
      recallAt10: mean(ranked, values.recall),
      voteAccuracy: averageOf(voteAccuracies),
    };
  };
  const real = { ap, rr, pAt, recall, voted: [voted] };
  const random_ = { ap: chanceAp, rr: chanceRr, pAt: chancePAt, recall: chanceRecall, voted: chanceVoted };

  const perGrade: GradeMetrics[] = GRADES.map((grade) => ({
    grade,
    count: queryGrades.filter((g) => g === grade).length,
    metrics: metricSet((i) => queryGrades[i] === grade, real),
    chance: metricSet((i) => queryGrades[i] === grade, random_),
  })).filter((g) => g.count > 0);

  const kappaOf = (v: Int8Array) => {
    const cast = [...v.keys()].filter((i) => v[i]! >= 0);
    return quadraticWeightedKappa(
      cast.map((i) => queryGrades[i]!),
      cast.map((i) => v[i]!),
    );
  };
  const castVotes = [...voted.keys()].filter((i) => voted[i]! >= 0);
  const totalCurve = new Float64Array(RECALL_LEVELS.length);
  curveSum.forEach((sum) => sum.forEach((value, l) => (totalCurve[l]! += value)));
  const curveQueries = curveCount.reduce((a, b) => a + b, 0);

  return {
    protocol: selfSearch ? 'leave-patient-out' : 'gallery',
    counts: { queries: q, gallery: n, queriesWithoutRelevant: withoutRelevant, excludedSamePatient, excludedSameImage },
    gradeCounts: {
      queries: GRADES.map((g) => queryGrades.filter((x) => x === g).length),
      gallery: GRADES.map((g) => galleryGrades.filter((x) => x === g).length),
    },
    overall: {
      ...metricSet(all, real),
      macroMap: averageOf(perGrade.map((g) => g.metrics.map)),
      voteKappa: kappaOf(voted),
    },
    chance: {
      ...metricSet(all, random_),
      macroMap: averageOf(perGrade.map((g) => g.chance.map)),
      voteKappa: averageOf(chanceVoted.map(kappaOf)),
    },
    perGrade,
    voteConfusion: confusionMatrix(
      castVotes.map((i) => queryGrades[i]!),
      castVotes.map((i) => voted[i]!),
    ),
    prCurve: {
      recall: [...RECALL_LEVELS],
      precision: [...totalCurve].map((v) => (curveQueries ? v / curveQueries : 0)),
      perGrade: GRADES.filter((g) => curveCount[g]! > 0).map((grade) => ({
        grade,
        precision: [...curveSum[grade]!].map((v) => v / curveCount[grade]!),
      })),
      chancePrecision: mean(
        [...queryGrades.keys()].filter((i) => !Number.isNaN(chancePrecision[i]!)),
        chancePrecision,
      ),
    },
  };
}

function groupIndices<T>(items: T[], keyOf: (item: T) => string | null): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  items.forEach((item, index) => {
    const key = keyOf(item);
    if (key === null) return;
    const group = groups.get(key);
    if (group) group.push(index);
    else groups.set(key, [index]);
  });
  return groups;
}

function mean(indices: number[], values: Float64Array): number | null {
  if (indices.length === 0) return null;
  let sum = 0;
  for (const i of indices) sum += values[i]!;
  return sum / indices.length;
}

function averageOf(values: (number | null)[]): number | null {
  const present = values.filter((v): v is number => v !== null);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}
