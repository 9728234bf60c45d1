/**
 * Ranking metrics of the offline evaluation (design section 7). Pure: no I/O, no randomness.
 */

const sortedCopy = (values: ArrayLike<number>): Float64Array => Float64Array.from(values).sort();

/**
 * ROC AUC = P(score(pos) > score(neg)) + ½·P(score(pos) = score(neg)): the Mann–Whitney
 * statistic over every (positive, negative) pair, ties counted as half. NaN when either side is
 * empty. O((p + n) log(p + n)).
 */
export function rocAuc(positives: ArrayLike<number>, negatives: ArrayLike<number>): number {
  const p = positives.length;
  const n = negatives.length;
  if (p === 0 || n === 0) return Number.NaN;
  const neg = sortedCopy(negatives);
  const pos = sortedCopy(positives);
  // For ascending positives, the count of negatives below and equal only moves forward.
  let below = 0;
  let upTo = 0;
  let wins = 0;
  for (let i = 0; i < p; i++) {
    const s = pos[i]!;
    while (below < n && neg[below]! < s) below++;
    if (upTo < below) upTo = below;
    while (upTo < n && neg[upTo]! <= s) upTo++;
    wins += below + 0.5 * (upTo - below);
  }
  return wins / (p * n);
}

/**
 * precision@k = |relevant ∩ ranked[0..k)| / k. A list shorter than k counts its missing slots as
 * misses (the standard definition: a ranker that proposes fewer than k candidates is not rewarded).
 */
export function precisionAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (!(k >= 1)) throw new RangeError('k must be at least 1');
  return hitsAtK(ranked, relevant, k) / k;
}

/** recall@k = |relevant ∩ ranked[0..k)| / |relevant|; NaN without relevant items. */
export function recallAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  if (!(k >= 1)) throw new RangeError('k must be at least 1');
  if (relevant.size === 0) return Number.NaN;
  return hitsAtK(ranked, relevant, k) / relevant.size;
}

function hitsAtK(ranked: ArrayLike<number>, relevant: ReadonlySet<number>, k: number): number {
  const end = Math.min(k, ranked.length);
  let hits = 0;
  for (let i = 0; i < end; i++) if (relevant.has(ranked[i]!)) hits++;
  return hits;
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}
