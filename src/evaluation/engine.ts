import { availableParallelism } from 'node:os';
import { mean, precisionAtK, recallAtK, rocAuc } from '../core/evaluation/index.ts';
import {
  buildScoringMatrix,
  coPresenceOf,
  spendLevelOf,
  type ScoringMatrix,
  type WeightSet,
} from '../core/scoring/index.ts';
import { computeCandidates } from '../scoring/parallel.ts';
import { minGapMinutes, type Dataset } from './dataset.ts';

/** Co-presence only counts up to 3 shared merchants (`min(1, c/3)`): the 3 smallest gaps suffice. */
const GAPS = 3;

/** Ranking depths of the report. */
export const RANK_DEPTH = 50;

/**
 * What one feature matrix (visit transform, idf exponent, normalization, stop share, recency,
 * category weights) yields for a data set, before any blend or co-presence window: raw overlap and
 * shared-merchant count of every AUC pair and of every ranked user's candidate pool, the 3 smallest
 * co-presence gaps of each, and the run's largest pair (the scale of `sqrt` and `none`). Reused
 * across every blend and co-presence window.
 */
export type PreparedMatrix = {
  normalization: WeightSet['normalization'];
  minSharedMerchants: number;
  runMax: number;
  pairOverlap: Float64Array;
  pairShared: Int32Array;
  pairGaps: Float64Array;
  poolOffsets: Int32Array;
  poolCandidate: Int32Array;
  poolOverlap: Float64Array;
  poolShared: Int32Array;
  poolGaps: Float64Array;
};

/**
 * `threads`: worker threads of the candidate kernel; by default none below
 * {@link THREADS_FROM_USERS} users, where starting the threads costs more than they save.
 */
export type PrepareOptions = {
  threads?: number | undefined;
  onProgress?: (done: number, total: number) => void;
};

export const THREADS_FROM_USERS = 20_000;

/** The fields of a weight set that shape a {@link PreparedMatrix}. */
export const MATRIX_FIELDS = [
  'windowDays',
  'visitTransform',
  'idfExponent',
  'recencyHalfLifeDays',
  'maxMerchantShare',
  'categoryWeights',
  'normalization',
  'minSharedMerchants',
  'candidatePoolSize',
] as const;

/** Raw overlap, shared count and the smallest gaps of (u, v), written at `gaps[at·3..]`. */
function pairSignals(
  matrix: ScoringMatrix,
  ds: Dataset,
  u: number,
  v: number,
  gaps: Float64Array,
  at: number,
): { overlap: number; shared: number } {
  for (let g = 0; g < GAPS; g++) gaps[at * GAPS + g] = Infinity;
  if (u < 0 || v < 0) return { overlap: 0, shared: 0 };
  const { rowPtr, cols, vals } = matrix;
  let i = rowPtr[u]!;
  const iEnd = rowPtr[u + 1]!;
  let j = rowPtr[v]!;
  const jEnd = rowPtr[v + 1]!;
  let overlap = 0;
  let shared = 0;
  while (i < iEnd && j < jEnd) {
    const a = cols[i]!;
    const b = cols[j]!;
    if (a < b) i++;
    else if (b < a) j++;
    else {
      overlap += vals[i]! * vals[j]!;
      shared++;
      if (ds.transactions !== null) insertGap(gaps, at, minGapMinutes(ds.transactions, u, v, a));
      i++;
      j++;
    }
  }
  return { overlap, shared };
}

function insertGap(gaps: Float64Array, at: number, gap: number): void {
  const base = at * GAPS;
  if (!(gap < gaps[base + GAPS - 1]!)) return;
  let k = GAPS - 1;
  while (k > 0 && gaps[base + k - 1]! > gap) {
    gaps[base + k] = gaps[base + k - 1]!;
    k--;
  }
  gaps[base + k] = gap;
}

/** Builds the matrix of `weights`, the full-run pools (for the run scale and the rankings) and every pair's signals. */
export async function prepareMatrix(
  ds: Dataset,
  weights: WeightSet,
  options: PrepareOptions = {},
): Promise<PreparedMatrix> {
  const threads = options.threads ?? (ds.userCount >= THREADS_FROM_USERS ? availableParallelism() : 0);
  const matrix = buildScoringMatrix(ds.dense.columns, weights, { shared: threads > 0, postingOrder: 'user' });
  const k = Math.min(Math.max(1, ds.userCount - 1), weights.candidatePoolSize + ds.maxMaskedPerUser);
  const pools = await computeCandidates(matrix, {
    k,
    minSharedMerchants: weights.minSharedMerchants,
    threads,
    ...(options.onProgress === undefined ? {} : { onProgress: options.onProgress }),
  });

  const n = ds.pairU.length;
  const pairOverlap = new Float64Array(n);
  const pairShared = new Int32Array(n);
  const pairGaps = new Float64Array(n * GAPS);
  for (let p = 0; p < n; p++) {
    const s = pairSignals(matrix, ds, ds.pairU[p]!, ds.pairV[p]!, pairGaps, p);
    pairOverlap[p] = s.overlap;
    pairShared[p] = s.shared;
  }

  // Pools of the ranked users only, masked candidates left out, cut to candidatePoolSize.
  const offsets = new Int32Array(ds.rankUsers.length + 1);
  const candidate: number[] = [];
  const overlap: number[] = [];
  const shared: number[] = [];
  ds.rankUsers.forEach((u, r) => {
    const masked = ds.masked.get(u);
    let kept = 0;
    for (let j = pools.offsets[u]!; j < pools.offsets[u + 1]! && kept < weights.candidatePoolSize; j++) {
      const v = pools.candidates[j]!;
      if (masked?.has(v) === true) continue;
      candidate.push(v);
      overlap.push(pools.overlap[j]!);
      shared.push(pools.shared[j]!);
      kept++;
    }
    offsets[r + 1] = candidate.length;
  });
  const poolGaps = new Float64Array(candidate.length * GAPS).fill(Infinity);
  if (ds.transactions !== null) {
    ds.rankUsers.forEach((u, r) => {
      for (let j = offsets[r]!; j < offsets[r + 1]!; j++)
        pairSignals(matrix, ds, u, candidate[j]!, poolGaps, j);
    });
  }
  return {
    normalization: weights.normalization,
    minSharedMerchants: weights.minSharedMerchants,
    runMax: pools.maxOverlap,
    pairOverlap,
    pairShared,
    pairGaps,
    poolOffsets: offsets,
    poolCandidate: Int32Array.from(candidate),
    poolOverlap: Float64Array.from(overlap),
    poolShared: Int32Array.from(shared),
    poolGaps,
  };
}

/** The weight-set fields applied on top of a prepared matrix. */
export type BlendWeights = Pick<WeightSet, 'blend' | 'coPresenceMinutes'>;

/** The metrics of one group of users (all, or one side of the tuning split). */
export type Metrics = {
  auc: number;
  positives: number;
  negatives: number;
  rankedUsers: number;
  precisionAt1: number;
  precisionAt10: number;
  recallAt50: number;
};

/**
 * The full score of design section 4 from prepared signals: 0 below `minSharedMerchants` shared
 * merchants (or none), else `blend · (overlap scaled by the run's largest pair, min(1, c/3), spendLevel)`.
 */
function fullScore(
  prepared: PreparedMatrix,
  ds: Dataset,
  weights: BlendWeights,
  u: number,
  v: number,
  rawOverlap: number,
  shared: number,
  gaps: Float64Array,
  at: number,
): number {
  if (shared === 0 || shared < prepared.minSharedMerchants) return 0;
  const scale = prepared.normalization === 'cosine' || prepared.runMax <= 0 ? 1 : prepared.runMax;
  const overlap = Math.min(1, rawOverlap / scale);
  let c = 0;
  for (let g = 0; g < GAPS; g++) if (gaps[at * GAPS + g]! <= weights.coPresenceMinutes) c++;
  const tickets = ds.transactions?.avgTicket;
  const spend = tickets === undefined ? 0 : spendLevelOf(tickets[u]!, tickets[v]!);
  const { blend } = weights;
  return Math.min(1, blend.overlap * overlap + blend.coPresence * coPresenceOf(c) + blend.spendLevel * spend);
}

/**
 * Scores every AUC pair and every ranked pool with `weights` and measures each group: `groupOf`
 * maps a dense user to its group (a pair belongs to its first user's group); without it, one group.
 */
export function measure(
  ds: Dataset,
  prepared: PreparedMatrix,
  weights: BlendWeights,
  groupOf: Uint8Array | null = null,
  groups = 1,
): Metrics[] {
  const pos: number[][] = Array.from({ length: groups }, () => []);
  const neg: number[][] = Array.from({ length: groups }, () => []);
  const group = (u: number): number => (groupOf === null || u < 0 ? 0 : groupOf[u]!);
  for (let p = 0; p < ds.pairU.length; p++) {
    const u = ds.pairU[p]!;
    const v = ds.pairV[p]!;
    const s = fullScore(
      prepared,
      ds,
      weights,
      u,
      v,
      prepared.pairOverlap[p]!,
      prepared.pairShared[p]!,
      prepared.pairGaps,
      p,
    );
    (ds.pairLabel[p] === 1 ? pos : neg)[group(u)]!.push(s);
  }

  const p1: number[][] = Array.from({ length: groups }, () => []);
  const p10: number[][] = Array.from({ length: groups }, () => []);
  const r50: number[][] = Array.from({ length: groups }, () => []);
  ds.rankUsers.forEach((u, r) => {
    const relevant = ds.relevant.get(u);
    if (relevant === undefined || relevant.size === 0) return;
    const from = prepared.poolOffsets[r]!;
    const to = prepared.poolOffsets[r + 1]!;
    const scored: { v: number; s: number }[] = [];
    for (let j = from; j < to; j++) {
      const v = prepared.poolCandidate[j]!;
      scored.push({
        v,
        s: fullScore(
          prepared,
          ds,
          weights,
          u,
          v,
          prepared.poolOverlap[j]!,
          prepared.poolShared[j]!,
          prepared.poolGaps,
          j,
        ),
      });
    }
    scored.sort((a, b) => b.s - a.s || a.v - b.v);
    const ranked = scored.slice(0, RANK_DEPTH).map((x) => x.v);
    const g = group(u);
    p1[g]!.push(precisionAtK(ranked, relevant, 1));
    p10[g]!.push(precisionAtK(ranked, relevant, 10));
    r50[g]!.push(recallAtK(ranked, relevant, RANK_DEPTH));
  });

  return Array.from({ length: groups }, (_, g) => ({
    auc: rocAuc(pos[g]!, neg[g]!),
    positives: pos[g]!.length,
    negatives: neg[g]!.length,
    rankedUsers: p1[g]!.length,
    precisionAt1: mean(p1[g]!),
    precisionAt10: mean(p10[g]!),
    recallAt50: mean(r50[g]!),
  }));
}
