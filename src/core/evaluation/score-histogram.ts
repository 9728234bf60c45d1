import { suppressSmallCells } from './suppression.ts';

/** The histogram's bucket edges: 0, 0.1, …, 1 (ten buckets of the full score). */
export const SCORE_EDGES: readonly number[] = Array.from({ length: 11 }, (_, i) => i / 10);

/**
 * The bucket of a full score in [0, 1]: `min(9, ⌊10·score⌋)` computed on the card's integer score
 * `round(100·score)`, so that a pair shown as 70 is in [0.7, 0.8) and 1 falls in the last bucket.
 */
export function scoreBucket(score: number): number {
  if (!(score >= 0 && score <= 1)) throw new RangeError('a full score is in [0, 1]');
  return Math.min(9, Math.floor(Math.round(100 * score) / 10));
}

/**
 * Histogram of the day's pair scores: pairs per bucket of {@link SCORE_EDGES}. A pair is two users
 * (the daily pairing is a matching, so no user is in two pairs of one day): a bucket of fewer than
 * `k` users is withheld by {@link suppressSmallCells}.
 */
export function scoreHistogram(
  pairScores: ArrayLike<number>,
  k: number,
): { edges: number[]; counts: Array<number | null> } {
  const counts = new Array<number>(10).fill(0);
  for (let i = 0; i < pairScores.length; i++) counts[scoreBucket(pairScores[i]!)]! += 1;
  return {
    edges: [...SCORE_EDGES],
    counts: suppressSmallCells(
      counts,
      counts.map((c) => 2 * c),
      k,
    ),
  };
}
