import { sortIndicesDesc } from '../shared/index-sort.ts';
import type { WeightSet } from './weight-set.ts';

/** The pairwise signals of one user's pool, aligned with its candidates (pure inputs). */
export interface PoolSignals {
  /** Candidate user indices, as generated (best overlap first). */
  candidates: Int32Array;
  /** Overlap of each candidate, already scaled to [0, 1] (see `scaleOverlap`). */
  overlap: Float64Array;
  /** Shared weighted merchants per candidate. */
  shared: Uint16Array | Int32Array;
  /**
   * Per candidate: shared merchants where both paid within `coPresenceMinutes` of each other
   * (computed by the caller, e.g. in SQL).
   */
  coPresenceCount: Int32Array | Uint16Array;
  /** Average ticket of the user, and of each candidate (same currency unit). */
  avgTicketUser: number;
  avgTicketCandidate: Float64Array;
}

/** One re-ranked pair with its components (for the card and analysts). */
export interface RankedPair {
  candidate: number;
  overlap: number;
  coPresence: number;
  spendLevel: number;
  sharedMerchantCount: number;
  /** blend · components, in [0, 1]. */
  score: number;
  /** `round(100 · score)`, 0–100. */
  score100: number;
}

/** `coPresence = min(1, c/3)` (design section 4). */
export function coPresenceOf(count: number): number {
  return Math.min(1, Math.max(0, count) / 3);
}

/**
 * `spendLevel = exp(−|ln(a/b)|)`, i.e. min(a,b)/max(a,b), in [0, 1]; 0 when a ticket is not
 * positive.
 */
export function spendLevelOf(a: number, b: number): number {
  if (!(a > 0) || !(b > 0)) return 0;
  return Math.exp(-Math.abs(Math.log(a / b)));
}

/**
 * The full score of design section 4 from its components, `overlap` already scaled (clamped to
 * [0, 1] here): `min(1, blend.overlap·overlap + blend.coPresence·coPresence + blend.spendLevel·spendLevel)`.
 */
export function blendScore(
  blend: WeightSet['blend'],
  overlap: number,
  coPresence: number,
  spendLevel: number,
): number {
  const o = Math.min(1, Math.max(0, overlap));
  return Math.min(1, blend.overlap * o + blend.coPresence * coPresence + blend.spendLevel * spendLevel);
}

/** A ranked pool as positions into its signals: best first, at most `topK`; scores by position. */
export interface PoolRanking {
  positions: Int32Array;
  /** The full score of every position (0 for pairs below `minSharedMerchants`, never ranked). */
  score: Float64Array;
}

/**
 * Ranks one pool by the full score of design section 4 ({@link blendScore} of overlap,
 * `coPresence = min(1, c/3)` and spend level); pairs sharing fewer than `minSharedMerchants`
 * merchants score 0 and are dropped. The `topK` best positions, score descending, ties by the
 * smaller candidate index.
 */
export function rankPool(
  signals: PoolSignals,
  weights: Pick<WeightSet, 'blend' | 'topK' | 'minSharedMerchants'>,
): PoolRanking {
  const { candidates, overlap, shared, coPresenceCount, avgTicketUser, avgTicketCandidate } = signals;
  const n = candidates.length;
  if (
    overlap.length !== n ||
    shared.length !== n ||
    coPresenceCount.length !== n ||
    avgTicketCandidate.length !== n
  ) {
    throw new RangeError('pool signals must be aligned with the candidates');
  }
  const { blend } = weights;
  const positions = new Int32Array(n);
  const score = new Float64Array(n);
  let kept = 0;
  for (let i = 0; i < n; i++) {
    if (shared[i]! < weights.minSharedMerchants) continue;
    score[i] = blendScore(
      blend,
      overlap[i]!,
      coPresenceOf(coPresenceCount[i]!),
      spendLevelOf(avgTicketUser, avgTicketCandidate[i]!),
    );
    positions[kept++] = i;
  }
  sortIndicesDesc(positions, kept, score, candidates);
  return { positions: positions.subarray(0, Math.min(kept, weights.topK)), score };
}

/**
 * Re-ranks one pool by the full score of design section 4 ({@link rankPool}), with each pair's
 * components kept for the card and for analysts.
 */
export function rerankPool(
  signals: PoolSignals,
  weights: Pick<WeightSet, 'blend' | 'topK' | 'minSharedMerchants'>,
): RankedPair[] {
  const { positions, score } = rankPool(signals, weights);
  const { candidates, overlap, shared, coPresenceCount, avgTicketUser, avgTicketCandidate } = signals;
  return Array.from(positions, (i) => ({
    candidate: candidates[i]!,
    overlap: Math.min(1, Math.max(0, overlap[i]!)),
    coPresence: coPresenceOf(coPresenceCount[i]!),
    spendLevel: spendLevelOf(avgTicketUser, avgTicketCandidate[i]!),
    sharedMerchantCount: shared[i]!,
    score: score[i]!,
    score100: Math.round(100 * score[i]!),
  }));
}
